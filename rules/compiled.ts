/**
 * The compiled form of a rule set's conditions: each rule's json-rules-engine `conditions`
 * turned once, at load, into one JavaScript function over the facts (its own function, so
 * that each fact read and operator call is a call site of its own, as in written code). They give what `engine.run` gives
 * for precomputed facts, without its per-run almanac, promises and condition clones, and
 * keep its semantics down to the rare cases:
 * - the engine's own operator objects (built-in and rules/operators.ts), validator first;
 * - `path` (on a condition or a `value: { fact, path }`) read with the engine's own path
 *   resolver, and only from an object value, as the almanac does;
 * - all / any: conditions grouped by priority, highest first; every condition of a group is
 *   evaluated (an operator that throws fails the run, as the engine's Promise.all does) and
 *   the next group only while the result is still open; a group counts only `true` results;
 * - an all / any of one condition gives that condition's own result, `not` its negation, a
 *   nested all / any is `true` or `false`, and a rule fires on a truthy result.
 * What the compiled form does not take is listed (rule and construct), and the set then
 * runs on json-rules-engine itself.
 */
import { Almanac, type Engine, type PathResolver } from 'json-rules-engine';

/** The part of a json-rules-engine operator the compiled form calls: validator, then callback. */
export interface EngineOperator {
  evaluate(factValue: unknown, jsonValue: unknown): unknown;
}

type FactValues = Readonly<Record<string, unknown>>;
/** A compiled condition: the engine's result of it for these facts. */
export type CompiledCondition = (facts: FactValues) => unknown;

export interface CompileContext {
  /** the engine's operator of this name, if it has one */
  operator(name: string): EngineOperator | undefined;
  /** the engine's path resolver, when it exposes it */
  pathResolver: PathResolver | undefined;
}

/** The operators of an engine, by name (json-rules-engine keeps them in `engine.operators`). */
export function engineOperators(engine: Engine): (name: string) => EngineOperator | undefined {
  const map = (engine as unknown as { operators?: { get?(name: string): unknown } }).operators;
  return (name) => {
    const op = typeof map?.get === 'function' ? map.get(name) : undefined;
    return typeof (op as EngineOperator | null | undefined)?.evaluate === 'function' ? (op as EngineOperator) : undefined;
  };
}

/** json-rules-engine's default path resolver (JSONPath), taken from an almanac. */
export function enginePathResolver(): PathResolver | undefined {
  const resolver = (new Almanac() as unknown as { pathResolver?: unknown }).pathResolver;
  return typeof resolver === 'function' ? (resolver as PathResolver) : undefined;
}

const leafKeys = new Set(['fact', 'operator', 'value', 'path', 'params', 'priority', 'name']);
const booleanKeys = new Set(['all', 'any', 'not', 'priority', 'name']);
const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

class Unsupported extends Error {}

/**
 * Compiles a rule's top condition (already checked: all / any / not at the top, known
 * facts and operators) into one function of the facts. Its source is built from nothing
 * of the set but fact names (as string literals) and indices: values, paths and operators
 * are handed in as arguments. Returns the construct it does not take, naming where it is.
 */
export function compileConditions(conditions: unknown, ctx: CompileContext): { ok: true; test: CompiledCondition } | { ok: false; unsupported: string } {
  const gen: Generated = { ctx, operators: [], constants: [] };
  try {
    const body = compileTop(conditions as Record<string, unknown>, gen);
    const ops = gen.operators.map((_, i) => `o${i}`);
    const resolve = ctx.pathResolver;
    // a fact through a path, as the almanac reads it: only from an object value
    const path = (v: unknown, p: string): unknown => (v !== null && typeof v === 'object' ? resolve!(v, p) : v);
    const make = new Function(...ops, 'k', 'path', `'use strict';\nreturn (f) => ${body};`) as (...args: unknown[]) => CompiledCondition;
    return { ok: true, test: make(...gen.operators, gen.constants, path) };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, unsupported: e.message };
    // whatever else stops the compiling, the set still runs: on the engine
    return { ok: false, unsupported: `conditions: could not be compiled (${e instanceof Error ? e.message : String(e)})` };
  }
}

interface Generated {
  ctx: CompileContext;
  operators: EngineOperator[];
  constants: unknown[];
}

function constant(gen: Generated, value: unknown): string {
  gen.constants.push(value);
  return `k[${gen.constants.length - 1}]`;
}

function compileTop(c: Record<string, unknown>, gen: Generated): string {
  for (const key of Object.keys(c)) if (!booleanKeys.has(key)) throw new Unsupported(`conditions: "${key}" in a condition`);
  // the rule's own order of looking: any, then all, then not
  if (c.any) return prioritized(c.any, 'any', 'conditions.any', gen);
  if (c.all) return prioritized(c.all, 'all', 'conditions.all', gen);
  if (c.not) return `!(${compileNode(c.not, 'conditions.not', gen)})`;
  throw new Unsupported('conditions: a top condition other than all, any or not');
}

function priorityOf(c: Record<string, unknown>, where: string): number {
  if (!has(c, 'priority')) return 1;
  const p = c.priority;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) throw new Unsupported(`${where}.priority: ${JSON.stringify(p)} (only a whole number from 1)`);
  return p;
}

function compileNode(node: unknown, where: string, gen: Generated): string {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Unsupported(`${where}: not a condition object`);
  const c = node as Record<string, unknown>;
  const op = has(c, 'any') ? 'any' : has(c, 'all') ? 'all' : has(c, 'not') ? 'not' : undefined;
  const allowed = op === undefined ? leafKeys : booleanKeys;
  for (const key of Object.keys(c)) if (!allowed.has(key)) throw new Unsupported(`${where}: "${key}" in a condition`);
  priorityOf(c, where);
  if (op === 'not') return `!(${compileNode(c.not, `${where}.not`, gen)})`;
  if (op !== undefined) return `(${prioritized(c[op], op, `${where}.${op}`, gen)}) === true`;
  return compileLeaf(c, where, gen);
}

/**
 * all / any over a list: groups by priority, highest first. Within a group `&` / `|` (not
 * `&&` / `||`) so that every condition runs; between groups `&&` / `||`.
 */
function prioritized(list: unknown, op: 'all' | 'any', where: string, gen: Generated): string {
  if (!Array.isArray(list)) throw new Unsupported(`${where}: not an array`);
  if (list.length === 0) return 'true';
  const compiled = list.map((sub, i) => {
    const w = `${where}[${i}]`;
    const expr = compileNode(sub, w, gen);
    return { expr, priority: priorityOf(sub as Record<string, unknown>, w) };
  });
  if (compiled.length === 1) return compiled[0].expr;
  const priorities = [...new Set(compiled.map((x) => x.priority))].sort((a, b) => b - a);
  const groups = priorities.map((p) => {
    const members = compiled.filter((x) => x.priority === p).map((x) => `(${x.expr}) === true`);
    return members.length === 1 ? members[0] : `(${members.join(op === 'all' ? ' & ' : ' | ')}) === 1`;
  });
  return groups.map((g) => `(${g})`).join(op === 'all' ? ' && ' : ' || ');
}

/** A fact's value as the almanac gives it, through the path if there is one. */
function reader(fact: string, path: unknown, where: string, gen: Generated): string {
  const value = `f[${JSON.stringify(fact)}]`;
  if (!path) return value;
  if (gen.ctx.pathResolver === undefined) throw new Unsupported(`${where}: a path (this json-rules-engine does not expose its path resolver)`);
  return `path(${value}, ${constant(gen, path)})`;
}

function compileLeaf(c: Record<string, unknown>, where: string, gen: Generated): string {
  const op = typeof c.operator === 'string' ? gen.ctx.operator(c.operator) : undefined;
  if (op === undefined) throw new Unsupported(`${where}.operator: ${JSON.stringify(c.operator)} is not an operator of the engine`);
  if (typeof c.fact !== 'string') throw new Unsupported(`${where}.fact: not a fact name`);
  gen.operators.push(op);
  const call = `o${gen.operators.length - 1}.evaluate`;
  const left = reader(c.fact, c.path, where, gen);
  const v = c.value;
  if (v !== null && typeof v === 'object' && has(v, 'fact')) {
    const ref = v as { fact?: unknown; path?: unknown };
    if (typeof ref.fact !== 'string') throw new Unsupported(`${where}.value.fact: not a fact name`);
    return `${call}(${left}, ${reader(ref.fact, ref.path, `${where}.value`, gen)})`;
  }
  // the engine hands the operator a copy of the rule's value: so does this, once
  return `${call}(${left}, ${constant(gen, structuredClone(v))})`;
}
