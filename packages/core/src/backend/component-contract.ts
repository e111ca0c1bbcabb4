import { kandinskyError } from '../errors/error-constructors.js';
import type { DataType } from '../tensor/tensor.js';
import type { ModelSession } from './model-session.js';
import { formatShape, formatTensorSpec, isDynamicDimension, type Dimension, type TensorSpec } from './tensor-spec.js';
import { checkArray, checkObject } from '../errors/argument-checks.js';

/** What a component requires of one model input or output. */
export interface TensorContract {
  /** The ONNX graph name, e.g. `"sample"`. */
  readonly name: string;
  /** The accepted element type, or the accepted alternatives (spec §2.4: mask bool or int64). */
  readonly dtype: DataType | readonly DataType[];
  /**
   * The shape; its length is the required rank. A number requires that size wherever the model
   * fixes the dimension; a string is a label (`"B"`, `"h"`) that accepts any size and only
   * makes messages readable. A symbolic dimension in the model satisfies any entry.
   */
  readonly dims: readonly Dimension[];
  /**
   * Whether the component works without it; when present it is checked all the same.
   * @default false
   */
  readonly optional?: boolean;
}

/**
 * The inputs and outputs a component wrapper (text encoder, UNet, MoVQ, ...) needs from its
 * model, as written in docs/model-format.md. Model inputs the contract does not list are
 * problems (the wrapper would not feed them, so the model could not run); extra outputs are not
 * (they are simply not read).
 */
export interface ComponentContract {
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

/** One way a session differs from a {@link ComponentContract}. */
export interface ContractProblem {
  readonly kind: 'missing' | 'unexpected' | 'dtype' | 'rank' | 'dimension';
  readonly role: 'input' | 'output';
  /** The tensor's name. */
  readonly tensor: string;
  /** Human-readable description of this problem. */
  readonly message: string;
}

/**
 * Lists every way the session's inputs and outputs differ from `contract`: missing tensors,
 * unexpected inputs, wrong dtypes, wrong ranks, wrong fixed dimensions. Empty when it matches.
 */
export function findContractProblems(
  session: Pick<ModelSession, 'inputs' | 'outputs'>,
  contract: ComponentContract,
): ContractProblem[] {
  return [
    ...compare('input', session.inputs, contract.inputs, true),
    ...compare('output', session.outputs, contract.outputs, false),
  ];
}

/**
 * Checks a freshly loaded session against its component contract and throws one
 * MODEL_CONTRACT_MISMATCH error listing every problem at once, together with the full expected
 * and found signatures, so a wrong export is diagnosed in one go. Component wrappers call it
 * right after `loadModel`.
 *
 * @param componentName - The component, for the message (`"unet"`).
 * @param session - The loaded session.
 * @param contract - What the component needs.
 */
export function checkSessionContract(
  componentName: string,
  session: Pick<ModelSession, 'inputs' | 'outputs'>,
  contract: ComponentContract,
): void {
  checkObject('session', session, 'a session { inputs, outputs }', 'Pass the loaded ModelSession.');
  checkArray('session.inputs', session.inputs, 'an array of tensor specs', 'Pass the loaded ModelSession.');
  checkArray('session.outputs', session.outputs, 'an array of tensor specs', 'Pass the loaded ModelSession.');
  checkObject('contract', contract, 'a ComponentContract', 'Use COMPONENT_CONTRACTS[role].');
  const problems = findContractProblems(session, contract);

  if (problems.length === 0) return;
  const lines = [
    `Model component ${JSON.stringify(componentName)} does not match its contract (${problems.length} problem${
      problems.length === 1 ? '' : 's'
    }):`,
    ...problems.map((problem) => `  - ${problem.message}`),
    `Expected inputs: ${contract.inputs.map(formatContract).join(', ')}`,
    `Found inputs: ${session.inputs.map(formatTensorSpec).join(', ') || '(none)'}`,
    `Expected outputs: ${contract.outputs.map(formatContract).join(', ')}`,
    `Found outputs: ${session.outputs.map(formatTensorSpec).join(', ') || '(none)'}`,
  ];
  throw kandinskyError(
    'MODEL_CONTRACT_MISMATCH',
    lines.join('\n'),
    `Export ${componentName} with the input/output names, dtypes and shapes of docs/model-format.md, or point the loader at the right file.`,
    {
      component: componentName,
      problems,
      expected: { inputs: contract.inputs, outputs: contract.outputs },
      found: { inputs: session.inputs, outputs: session.outputs },
      },
  );
}

function compare(
  role: 'input' | 'output',
  found: readonly TensorSpec[],
  expected: readonly TensorContract[],
  reportUnexpected: boolean,
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const byName = new Map(found.map((spec) => [spec.name, spec]));
  for (const wanted of expected) {
    const spec = byName.get(wanted.name);
    const name = JSON.stringify(wanted.name);
    if (spec === undefined) {
      if (wanted.optional !== true) {
        problems.push({
          kind: 'missing',
          role,
          tensor: wanted.name,
          message: `missing ${role} ${name} (expected ${formatContract(wanted)})`,
        });
      }
      continue;
    }
    const accepted: readonly string[] = typeof wanted.dtype === 'string' ? [wanted.dtype] : wanted.dtype;
    if (!accepted.includes(spec.dtype)) {
      problems.push({
        kind: 'dtype',
        role,
        tensor: wanted.name,
        message: `${role} ${name} has dtype ${spec.dtype}, expected ${accepted.join(' or ')}`,
      });
    }
    if (spec.dims === undefined) continue;
    if (spec.dims.length !== wanted.dims.length) {
      problems.push({
        kind: 'rank',
        role,
        tensor: wanted.name,
        message: `${role} ${name} has rank ${spec.dims.length} (${formatShape(spec.dtype, spec.dims)}), expected rank ${
          wanted.dims.length
        } (${formatShape(dtypeLabel(wanted), wanted.dims)})`,
      });
      continue;
    }
    wanted.dims.forEach((size, axis) => {
      const actual = spec.dims?.[axis] as Dimension;
      if (typeof size !== 'number' || isDynamicDimension(actual) || actual === size) return;
      problems.push({
        kind: 'dimension',
        role,
        tensor: wanted.name,
        message: `${role} ${name} has size ${actual} at axis ${axis}, expected ${size} (${formatShape(
          spec.dtype,
          spec.dims,
        )} vs ${formatShape(dtypeLabel(wanted), wanted.dims)})`,
      });
    });
  }
  if (reportUnexpected) {
    const known = new Set(expected.map((wanted) => wanted.name));
    for (const spec of found) {
      if (known.has(spec.name)) continue;
      problems.push({
        kind: 'unexpected',
        role,
        tensor: spec.name,
        message: `unexpected ${role} ${JSON.stringify(spec.name)} (${formatShape(spec.dtype, spec.dims)}) that the component does not feed`,
      });
    }
  }
  return problems;
}

function dtypeLabel(contract: TensorContract): string {
  return typeof contract.dtype === 'string' ? contract.dtype : contract.dtype.join('|');
}

function formatContract(contract: TensorContract): string {
  const shape = `${contract.name}: ${formatShape(dtypeLabel(contract), contract.dims)}`;
  return contract.optional === true ? `${shape} (optional)` : shape;
}
