import type { World } from "./world.js";

/** How far the knob travels from the centre, CSS pixels: full speed there. */
const STICK_RANGE_PX = 45;

/** True on a touch screen: the stick shows there (and after any first touch elsewhere). */
export const isTouchScreen = () => navigator.maxTouchPoints > 0 || matchMedia("(pointer: coarse)").matches;

/**
 * The on-screen stick: a finger on it pushes `world.stick` (the world walks with it), and
 * lifting it stops. One finger at a time; other fingers still look around.
 */
export function attachStick(stick: HTMLElement, world: World): void {
  const knob = stick.firstElementChild as HTMLElement;
  let finger: number | undefined;
  const push = (e: PointerEvent) => {
    const r = stick.getBoundingClientRect();
    let dx = e.clientX - (r.left + r.width / 2);
    let dy = e.clientY - (r.top + r.height / 2);
    const d = Math.hypot(dx, dy);
    if (d > STICK_RANGE_PX) [dx, dy] = [(dx * STICK_RANGE_PX) / d, (dy * STICK_RANGE_PX) / d];
    knob.style.transform = `translate(${dx}px, ${dy}px)`;
    world.stick.x = dx / STICK_RANGE_PX;
    world.stick.y = -dy / STICK_RANGE_PX;
  };
  const lift = (e: PointerEvent) => {
    if (e.pointerId !== finger) return;
    finger = undefined;
    knob.style.transform = "";
    world.stick.x = world.stick.y = 0;
  };
  stick.addEventListener("pointerdown", (e) => {
    if (finger !== undefined) return;
    finger = e.pointerId;
    stick.setPointerCapture(finger);
    push(e);
  });
  stick.addEventListener("pointermove", (e) => e.pointerId === finger && push(e));
  stick.addEventListener("pointerup", lift);
  stick.addEventListener("pointercancel", lift);
  const show = () => {
    stick.hidden = false;
    document.body.classList.add("touch");
  };
  if (isTouchScreen()) show();
  else window.addEventListener("touchstart", show, { once: true });
}
