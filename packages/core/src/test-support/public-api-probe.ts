import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ErrorCodes } from '../errors/error-codes.js';
import { KandinskyError } from '../errors/kandinsky-error.js';

/**
 * The public-API bad-input probe (issue 20): walks a package entry's exports and calls every
 * function, every class constructor, every static method and every public method of a cheaply
 * built instance with `null`, `undefined` and wrong-type arguments. Whatever it throws or rejects
 * with must be a KandinskyError with a code from {@link ErrorCodes}; returning normally is fine
 * (many functions accept such values on purpose). The walk is over `Object.keys(module)`, so a new
 * export is probed without a change to any test; a new class must say how to build an instance.
 */

/** Wrong values for any argument: nothing, wrong primitives, wrong objects. */
export const BAD_VALUES: readonly (readonly [label: string, value: unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['7', 7],
  ['-1', -1],
  ['NaN', Number.NaN],
  ['"seven"', 'seven'],
  ['""', ''],
  ['{}', {}],
  ['[]', []],
  ['1n', 1n],
  ['true', true],
  ['{ wrong fields }', { width: 'wide', height: null, data: 5, prompt: 5, dims: 'x', type: 7, code: 5 }],
  ['() => {}', () => {}],
];

export interface ProbeSpec {
  /** The module namespace (`import * as entry from './index.js'`). */
  readonly exports: Readonly<Record<string, unknown>>;
  /**
   * How to build a valid instance of each exported class, fresh for every method probed (cheap:
   * MockBackend, in-memory folders). Each class needs this or an entry in `noInstance`.
   */
  readonly instances?: Readonly<Record<string, () => unknown>>;
  /** Classes whose methods are not probed, each with the reason. */
  readonly noInstance?: Readonly<Record<string, string>>;
  /**
   * Targets not probed at all (`name`, `Class.static`, `Class#method`), each with a one-line reason:
   * only for documented contracts that accept anything or cannot be called in a test process.
   */
  readonly allow?: Readonly<Record<string, string>>;
  /**
   * The package's source folder: methods declared `private` or `protected` there (TypeScript
   * visibility, invisible at run time) are not public API and are not probed.
   */
  readonly sourceDir: string;
  /**
   * Targets that still throw untyped errors: known bugs, listed so that the rest stays guarded.
   * Each must still fail (a fixed one must be removed from the list).
   */
  readonly knownBugs?: readonly string[];
  /** How long one call may take to settle before it counts as hanging. @default 2000 */
  readonly settleMs?: number;
}

export interface ProbeReport {
  /** Every function, constructor and method probed (`fn`, `new Class`, `Class.static`, `Class#method`). */
  readonly targets: string[];
  /** How many calls were made in all. */
  readonly calls: number;
  /** Each call that threw something other than a typed KandinskyError, as `target(args): thrown`. */
  readonly findings: string[];
  /** Classes with neither an instance factory nor a `noInstance` reason. */
  readonly unprobedClasses: string[];
  /** `knownBugs` entries that no longer fail: remove them from the list. */
  readonly fixedKnownBugs: string[];
}

const isClass = (value: unknown): value is new (...args: unknown[]) => unknown =>
  typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));

/** Argument lists for a callable of `arity` declared parameters: none, then each bad value alone and in every position. */
function argumentLists(arity: number): { label: string; args: unknown[] }[] {
  const lists = [{ label: '', args: [] as unknown[] }];
  for (const [label, value] of BAD_VALUES) {
    lists.push({ label, args: [value] });
    if (arity > 1) lists.push({ label: Array(arity).fill(label).join(', '), args: Array(arity).fill(value) });
  }
  return lists;
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return `non-Error ${typeof error}: ${String(error)}`;
}

/** `null` when `error` is acceptable, else a description of what is wrong with it. */
function problemWith(error: unknown): string | null {
  if (!KandinskyError.isInstance(error)) return describeThrown(error);
  if (!Object.values(ErrorCodes).includes(error.code)) return `KandinskyError with unknown code ${String(error.code)}`;
  return null;
}

async function settle(call: () => unknown, settleMs: number): Promise<string | null> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return problemWith(error);
  }
  if (!(result instanceof Promise)) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not settle within ${settleMs} ms`), settleMs);
  });
  try {
    return await Promise.race([result.then(() => null, problemWith), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** `Class#method` for every method declared private or protected in the .ts files under `dir`. */
function hiddenMethods(dir: string): Set<string> {
  const hidden = new Set<string>();
  const visit = (node: ts.Node, owner: string | undefined) => {
    if (ts.isClassDeclaration(node) && node.name) owner = node.name.text;
    const named = (ts.isMethodDeclaration(node) || ts.isPropertyDeclaration(node)) && node.name && ts.isIdentifier(node.name);
    if (owner && (named || ts.isConstructorDeclaration(node))) {
      const modifiers = ts.getModifiers(node) ?? [];
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) {
        hidden.add(`${owner}#${ts.isConstructorDeclaration(node) ? 'constructor' : (node.name as ts.Identifier).text}`);
      }
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    visit(ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true), undefined);
  }
  return hidden;
}

/** Public methods of a class, each with the class that declares it. */
function publicMethods(prototype: object, hidden: Set<string>): string[] {
  const names = new Set<string>();
  for (let p: object | null = prototype; p && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    const owner = (p as { constructor: { name: string } }).constructor.name;
    for (const name of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, name)!;
      if (name === 'constructor' || name.startsWith('_') || typeof descriptor.value !== 'function') continue;
      if (hidden.has(`${owner}#${name}`)) continue;
      names.add(name);
    }
  }
  return [...names].sort();
}

function staticMethods(cls: Function): string[] {
  return Object.getOwnPropertyNames(cls)
    .filter((name) => !['length', 'name', 'prototype'].includes(name) && !name.startsWith('_'))
    .filter((name) => typeof Object.getOwnPropertyDescriptor(cls, name)?.value === 'function')
    .sort();
}

/** Probes every exported callable; see the module comment. */
export async function probePublicApi(spec: ProbeSpec): Promise<ProbeReport> {
  const settleMs = spec.settleMs ?? 2000;
  const allow = spec.allow ?? {};
  const targets: string[] = [];
  const findings: string[] = [];
  const unprobedClasses: string[] = [];
  const hidden = hiddenMethods(spec.sourceDir);
  const known = new Set(spec.knownBugs ?? []);
  const fixedKnownBugs: string[] = [];
  let calls = 0;

  const probe = async (target: string, arity: number, call: (args: unknown[]) => unknown) => {
    if (target in allow) return;
    targets.push(target);
    let failed = false;
    for (const { label, args } of argumentLists(arity)) {
      calls++;
      const problem = await settle(() => call(args), settleMs);
      if (problem === null) continue;
      failed = true;
      if (!known.has(target)) findings.push(`${target}(${label}): ${problem}`);
    }
    if (known.has(target) && !failed) fixedKnownBugs.push(target);
  };

  for (const name of Object.keys(spec.exports).sort()) {
    const value = spec.exports[name];
    if (typeof value !== 'function') continue;
    if (!isClass(value)) {
      await probe(name, value.length, (args) => (value as (...a: unknown[]) => unknown)(...args));
      continue;
    }
    // A private constructor (a static factory instead) is not public API.
    if (!hidden.has(`${name}#constructor`)) await probe(`new ${name}`, Math.max(value.length, 1), (args) => new value(...args));
    for (const method of staticMethods(value)) {
      const fn = (value as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
      await probe(`${name}.${method}`, fn.length, (args) => fn.apply(value, args));
    }
    const factory = spec.instances?.[name];
    if (!factory) {
      if (!(name in (spec.noInstance ?? {}))) unprobedClasses.push(name);
      continue;
    }
    for (const method of publicMethods(value.prototype as object, hidden)) {
      const target = `${name}#${method}`;
      if (target in allow) continue;
      const instance = (await factory()) as Record<string, (...a: unknown[]) => unknown>;
      await probe(target, instance[method]!.length, (args) => instance[method]!(...args));
    }
  }
  // A listed target that is no longer probed (renamed, removed, made private) is stale too.
  for (const target of known) if (!targets.includes(target)) fixedKnownBugs.push(target);
  return { targets, calls, findings, unprobedClasses, fixedKnownBugs };
}
