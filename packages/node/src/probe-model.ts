/**
 * A 64-byte ONNX model (opset 17) computing `y = −x` on a float32[1]: created once per device
 * probe to prove that an execution provider really loads and runs a graph. ONNX Runtime does not
 * fall back between providers by itself (ENVIRONMENT.md), so a device is only used after this
 * model ran on it. Built with `onnx.helper` (graph "probe", one Neg node).
 */
const PROBE_MODEL_BASE64 =
  'CAg6NgoLCgF4EgF5IgNOZWcSBXByb2JlWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQEQ==';

/** The probe model bytes. */
export function probeModelBytes(): Uint8Array {
  return Uint8Array.from(atob(PROBE_MODEL_BASE64), (character) => character.charCodeAt(0));
}
