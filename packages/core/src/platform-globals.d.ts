// Web-platform globals that core uses and that both Node ≥ 18 and browsers provide. Core
// compiles against the plain ES2022 library (no DOM, no @types/node) to prove it is portable,
// so the few globals it relies on are declared here, minimally.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string);
  decode(input?: Uint8Array): string;
}

declare function atob(data: string): string;
declare function btoa(data: string): string;
