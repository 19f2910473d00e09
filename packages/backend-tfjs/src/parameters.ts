import { ConfigError, type NamedTensor, ShapeError, type Weights } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";

let instanceCounter = 0;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * The named trainable variables of one model, in a fixed order. tfjs variable names are global to the
 * engine, so each set prefixes its own names with a unique id; the public names (`blocks.0.attn.wqkv`)
 * stay stable and are what weights, checkpoints and flat vectors use.
 */
export class ParameterSet {
  /** Parameter names in their fixed order (the order of flat vectors and checkpoints). */
  readonly names: string[] = [];
  private readonly variables = new Map<string, tf.Variable>();
  private readonly prefix = `rlts${++instanceCounter}/`;
  private disposed = false;

  /** Adds a parameter with its initial values (row-major, float32). */
  add(name: string, shape: readonly number[], values: Float32Array): tf.Variable {
    if (this.variables.has(name)) throw new ConfigError("parameter name", name, "use each name once");
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new ShapeError(name, `${size} values`, `${values.length}`);
    // tf.variable shares the initial tensor's data; tidy frees that tensor object, the variable stays.
    const variable = tf.tidy(() =>
      tf.variable(tf.tensor(values, [...shape], "float32"), true, this.prefix + name),
    );
    this.names.push(name);
    this.variables.set(name, variable);
    return variable;
  }

  /** The variable called `name`. */
  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) {
      throw new ConfigError("parameter name", name, `use one of ${this.names.join(", ")}`);
    }
    return variable;
  }

  /** The variables of `names` (default: all), in that order. */
  list(names: readonly string[] = this.names): tf.Variable[] {
    return names.map((n) => this.get(n));
  }

  /** The public name of a tfjs variable of this set. */
  publicName(variable: tf.Variable): string {
    return variable.name.slice(this.prefix.length);
  }

  /** Total number of scalars in `names` (default: all). */
  size(names: readonly string[] = this.names): number {
    return this.list(names).reduce((sum, v) => sum + v.size, 0);
  }

  /** A copy of every parameter as the core `Weights` map (row-major float32). */
  getWeights(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const name of this.names) {
      const v = this.get(name);
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return out;
  }

  /**
   * Assigns weights by name. Every parameter must be present with its exact shape; a missing name,
   * an unknown name or a wrong shape throws naming the tensor, the expected and the found shape.
   */
  setWeights(weights: Weights, source = "weights"): void {
    for (const name of weights.keys()) {
      if (!this.variables.has(name)) {
        throw new ShapeError(`${source}: tensor "${name}"`, "a parameter of this model", "an unknown name");
      }
    }
    for (const name of this.names) {
      const v = this.get(name);
      const w = weights.get(name);
      if (!w) throw new ShapeError(`${source}: tensor "${name}"`, shapeText(v.shape), "nothing (missing)");
      const same = w.shape.length === v.shape.length && w.shape.every((d, i) => d === v.shape[i]);
      if (!same) throw new ShapeError(`${source}: tensor "${name}"`, shapeText(v.shape), shapeText(w.shape));
      if (w.data.length !== v.size) {
        throw new ShapeError(`${source}: tensor "${name}" data`, `${v.size} values`, `${w.data.length}`);
      }
    }
    for (const name of this.names) {
      const v = this.get(name);
      const w = weights.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(w.data, v.shape, "float32")));
    }
  }

  /** The parameters of `names` (default: all) concatenated in that order into one vector. */
  getFlat(names: readonly string[] = this.names): Float32Array {
    const out = new Float32Array(this.size(names));
    let offset = 0;
    for (const v of this.list(names)) {
      out.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    return out;
  }

  /** Writes a vector laid out like {@link getFlat} back into the parameters of `names`. */
  setFlat(flat: ArrayLike<number>, names: readonly string[] = this.names): void {
    const expected = this.size(names);
    if (flat.length !== expected)
      throw new ShapeError("flat parameters", `${expected} values`, `${flat.length}`);
    let offset = 0;
    for (const v of this.list(names)) {
      const slice = Float32Array.from({ length: v.size }, (_, i) => flat[offset + i]);
      tf.tidy(() => v.assign(tf.tensor(slice, v.shape, "float32")));
      offset += v.size;
    }
  }

  /** Frees every variable. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
  }
}

/** Concatenates gradient tensors (in `variables` order) into one float64 vector. */
export function flattenGradients(grads: readonly tf.Tensor[]): Float64Array {
  const total = grads.reduce((s, g) => s + g.size, 0);
  const out = new Float64Array(total);
  let offset = 0;
  for (const g of grads) {
    out.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  return out;
}
