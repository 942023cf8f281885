import type { AbstractSoundSource } from "@babylonjs/core/AudioV2/abstractAudio/abstractSoundSource.js";
import type { Behavior } from "@babylonjs/core/Behaviors/behavior.js";
import type { AbstractMesh } from "@babylonjs/core/Meshes/abstractMesh.js";
import type { Observer } from "@babylonjs/core/Misc/observable.js";
import type { Node } from "@babylonjs/core/node.js";

/**
 * Plays a remote voice from an avatar mesh: attaching puts the spatial sound on the mesh,
 * detaching (or disposing the mesh) takes it off and disposes the sound.
 */
export class VoiceBehavior implements Behavior<AbstractMesh> {
  readonly name = "EarshotVoice";
  attachedNode: AbstractMesh | null = null;
  private disposeObserver: Observer<Node> | null = null;

  /** @param onDetached called once the behavior left its mesh (peer closed, mesh disposed). */
  constructor(
    readonly peerId: string,
    readonly sound: AbstractSoundSource,
    private readonly onDetached: (behavior: VoiceBehavior) => void,
  ) {}

  init(): void {}

  attach(mesh: AbstractMesh): void {
    this.attachedNode = mesh;
    this.sound.spatial.attach(mesh);
    this.disposeObserver = mesh.onDisposeObservable.add(() => this.detach());
  }

  detach(): void {
    const mesh = this.attachedNode;
    if (!mesh) return;
    this.attachedNode = null;
    mesh.onDisposeObservable.remove(this.disposeObserver);
    this.disposeObserver = null;
    this.sound.spatial.detach();
    this.sound.dispose();
    if (!mesh.isDisposed()) mesh.removeBehavior(this);
    this.onDetached(this);
  }
}
