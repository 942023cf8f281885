declare module "unicode-confusables" {
  /** Replaces every character by its UTS #39 prototype (confusables.txt), dropping zero-width ones. */
  export function rectifyConfusion(text: string): string;
  export function isConfusing(text: string): boolean;
}
