import * as tf from "@tensorflow/tfjs-core";

// Gradients of the tfjs kernels that models and loss closures use. The Node build of tfjs-core
// registers none (the @tensorflow/tfjs umbrella package does, but it cannot be installed here), so
// this module registers its own, derived from the maths, for every kernel that has none yet: if the
// umbrella package is loaded too, its registrations win. Matrix products use explicit transposes
// (fast on wasm) and gather's gradient uses ScatterNd (wasm has no UnsortedSegmentSum).

type Grad = (
  dy: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
) => Record<string, () => tf.Tensor>;

/** Sums a broadcast gradient back to `shape`. */
function unbroadcast(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes([...shape], g.shape);
  const reduced = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(reduced, [...shape]);
}

function axesOf(axis: unknown, rank: number): number[] {
  const list =
    axis == null ? Array.from({ length: rank }, (_, i) => i) : Array.isArray(axis) ? axis : [axis as number];
  return list.map((a: number) => (a < 0 ? a + rank : a));
}

/** Shape of a reduction's output with the reduced axes kept as size 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: t.rank }, (_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

const zero =
  (...names: string[]): Grad =>
  (_dy, saved) =>
    Object.fromEntries(names.map((n, i) => [n, () => tf.zerosLike(saved[i])]));

const unary =
  (f: (dy: tf.Tensor, x: tf.Tensor, y: tf.Tensor) => tf.Tensor): Grad =>
  (dy, saved) => ({
    x: () => f(dy as tf.Tensor, saved[0], saved[1]),
  });

const configs: { kernel: string; inputs?: string[]; outputs?: boolean; saveAll?: boolean; grad: Grad }[] = [
  // Elementwise binary ops with broadcasting.
  {
    kernel: "Add",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(dy as tf.Tensor, a.shape),
      b: () => unbroadcast(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernel: "Sub",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(dy as tf.Tensor, a.shape),
      b: () => unbroadcast(tf.neg(dy as tf.Tensor), b.shape),
    }),
  },
  {
    kernel: "Multiply",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(b, "float32")), a.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(a, "float32")), b.shape),
    }),
  },
  {
    kernel: "RealDiv",
    inputs: ["a", "b"],
    // d(a/b) = da/b − a·db/b²
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy as tf.Tensor, b), a.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape),
    }),
  },
  {
    kernel: "Maximum",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.greaterEqual(a, b), "float32")), a.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.less(a, b), "float32")), b.shape),
    }),
  },
  {
    kernel: "Minimum",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.lessEqual(a, b), "float32")), a.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(tf.greater(a, b), "float32")), b.shape),
    }),
  },
  {
    kernel: "SquaredDifference",
    inputs: ["a", "b"],
    grad: (dy, [a, b]) => {
      const g = () => tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2));
      return { a: () => unbroadcast(g(), a.shape), b: () => unbroadcast(tf.neg(g()), b.shape) };
    },
  },
  {
    kernel: "Pow",
    inputs: ["a", "b"],
    outputs: true,
    // d(a^b) = b·a^(b−1)·da + a^b·log(a)·db (log term only where a > 0)
    grad: (dy, [a, b, y]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
      b: () => {
        const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
        return unbroadcast(tf.mul(dy as tf.Tensor, tf.mul(y, logA)), b.shape);
      },
    }),
  },
  // Elementwise unary ops (saved: x, then the output where `outputs`).
  { kernel: "Neg", inputs: ["x"], grad: unary((dy) => tf.neg(dy)) },
  { kernel: "Identity", inputs: ["x"], grad: unary((dy) => dy) },
  { kernel: "Cast", inputs: ["x"], grad: unary((dy) => dy) },
  { kernel: "Exp", inputs: ["x"], outputs: true, grad: unary((dy, _x, y) => tf.mul(dy, y)) },
  { kernel: "Log", inputs: ["x"], grad: unary((dy, x) => tf.div(dy, x)) },
  { kernel: "Log1p", inputs: ["x"], grad: unary((dy, x) => tf.div(dy, tf.add(x, 1))) },
  { kernel: "Square", inputs: ["x"], grad: unary((dy, x) => tf.mul(dy, tf.mul(x, 2))) },
  { kernel: "Sqrt", inputs: ["x"], outputs: true, grad: unary((dy, _x, y) => tf.div(dy, tf.mul(y, 2))) },
  {
    kernel: "Rsqrt",
    inputs: ["x"],
    outputs: true,
    grad: unary((dy, x, y) => tf.mul(dy, tf.mul(tf.div(y, x), -0.5))),
  },
  { kernel: "Reciprocal", inputs: ["x"], grad: unary((dy, x) => tf.neg(tf.div(dy, tf.square(x)))) },
  { kernel: "Abs", inputs: ["x"], grad: unary((dy, x) => tf.mul(dy, tf.sign(x))) },
  {
    kernel: "Tanh",
    inputs: ["x"],
    outputs: true,
    grad: unary((dy, _x, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  },
  {
    kernel: "Sigmoid",
    inputs: ["x"],
    outputs: true,
    grad: unary((dy, _x, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  },
  { kernel: "Softplus", inputs: ["x"], grad: unary((dy, x) => tf.mul(dy, tf.sigmoid(x))) },
  { kernel: "Relu", inputs: ["x"], grad: unary((dy, x) => tf.mul(dy, tf.cast(tf.greater(x, 0), "float32"))) },
  {
    kernel: "Erf",
    inputs: ["x"],
    grad: unary((dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)))),
  },
  {
    kernel: "ClipByValue",
    inputs: ["x"],
    grad: (dy, [x], attrs) => {
      const lo = attrs.clipValueMin as number;
      const hi = attrs.clipValueMax as number;
      return {
        x: () =>
          tf.mul(
            dy as tf.Tensor,
            tf.cast(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), "float32"),
          ),
      };
    },
  },
  {
    kernel: "Select",
    inputs: ["condition", "t", "e"],
    grad: (dy, [c, t, e]) => ({
      condition: () => tf.zerosLike(c),
      t: () => unbroadcast(tf.where(c, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)), t.shape),
      e: () => unbroadcast(tf.where(c, tf.zerosLike(dy as tf.Tensor), dy as tf.Tensor), e.shape),
    }),
  },
  // Piecewise-constant and boolean ops: zero gradient, so they may sit on a path to the loss.
  ...[
    "Equal",
    "NotEqual",
    "Greater",
    "GreaterEqual",
    "Less",
    "LessEqual",
    "LogicalAnd",
    "LogicalOr",
    "FloorDiv",
  ].map((kernel) => ({ kernel, inputs: ["a", "b"], grad: zero("a", "b") })),
  ...[
    "LogicalNot",
    "Sign",
    "Floor",
    "Ceil",
    "Round",
    "Step",
    "IsNan",
    "IsFinite",
    "IsInf",
    "ZerosLike",
    "OnesLike",
  ].map((kernel) => ({ kernel, inputs: ["x"], grad: zero("x") })),
  { kernel: "OneHot", inputs: ["indices"], grad: zero("indices") },
  { kernel: "ArgMax", inputs: ["x"], grad: zero("x") },
  { kernel: "ArgMin", inputs: ["x"], grad: zero("x") },
  // Reductions.
  {
    kernel: "Sum",
    inputs: ["x"],
    grad: (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x.rank);
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keptShape(x.shape, axes)), tf.onesLike(x)) };
    },
  },
  {
    kernel: "Mean",
    inputs: ["x"],
    grad: (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x.rank);
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      return {
        x: () => tf.mul(tf.reshape(dy as tf.Tensor, keptShape(x.shape, axes)), tf.div(tf.onesLike(x), n)),
      };
    },
  },
  ...["Max", "Min"].map((kernel) => ({
    kernel,
    inputs: ["x"],
    outputs: true,
    // The gradient flows to every element equal to the extreme value.
    grad: ((dy, [x, y], attrs) => {
      const kept = keptShape(x.shape, axesOf(attrs.reductionIndices ?? attrs.axis, x.rank));
      return {
        x: () =>
          tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.cast(tf.equal(x, tf.reshape(y, kept)), "float32")),
      };
    }) as Grad,
  })),
  {
    kernel: "AddN",
    saveAll: true,
    grad: (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => dy as tf.Tensor])),
  },
  // Shape ops.
  {
    kernel: "Reshape",
    inputs: ["x"],
    grad: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernel: "ExpandDims",
    inputs: ["input"],
    grad: (dy, [x]) => ({ input: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernel: "Transpose",
    grad: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        inverse[p] = i;
      });
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernel: "Slice",
    inputs: ["x"],
    grad: (dy, [x], attrs) => {
      const begin = typeof attrs.begin === "number" ? [attrs.begin] : (attrs.begin as number[]);
      const size = typeof attrs.size === "number" ? [attrs.size] : (attrs.size as number[]);
      const paddings = x.shape.map((d, i): [number, number] => {
        const b = begin[i] ?? 0;
        const s = size[i] == null || size[i] === -1 ? d - b : size[i];
        return [b, d - b - s];
      });
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
  {
    kernel: "PadV2",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () =>
        tf.slice(
          dy as tf.Tensor,
          (attrs.paddings as [number, number][]).map((p) => p[0]),
          x.shape,
        ),
    }),
  },
  {
    kernel: "Pack",
    grad: (dy, _saved, attrs) => {
      const parts = tf.unstack(dy as tf.Tensor, attrs.axis as number);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernel: "Unpack",
    grad: (dy, _saved, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernel: "Tile",
    inputs: ["x"],
    // Sum the gradient over the tiled copies: view dy as [r0, d0, r1, d1, ...] and reduce the r axes.
    grad: (dy, [x], attrs) => {
      const reps = attrs.reps as number[];
      const view = x.shape.flatMap((d, i) => [reps[i], d]);
      const axes = reps.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, view), axes), x.shape) };
    },
  },
  {
    kernel: "GatherV2",
    inputs: ["x", "indices"],
    // Scatter dy back to the gathered positions (ScatterNd sums duplicates); axis moved to the front.
    grad: (dy, [x, indices], attrs) => {
      const axis = axesOf(attrs.axis, x.rank)[0];
      const g = dy as tf.Tensor;
      return {
        x: () => {
          const n = indices.size;
          const perm = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
          const inner = x.shape.filter((_, i) => i !== axis);
          // dy has shape x.shape[:axis] + indices.shape + x.shape[axis+1:]; bring the index axes first.
          const outer = x.shape.slice(0, axis);
          const dyFlat = tf.reshape(g, [...outer, n, ...x.shape.slice(axis + 1)]);
          const dyPerm = tf.transpose(dyFlat, [
            axis,
            ...dyFlat.shape.map((_, i) => i).filter((i) => i !== axis),
          ]);
          const scattered = tf.scatterND(tf.reshape(tf.cast(indices, "int32"), [n, 1]), dyPerm, [
            x.shape[axis],
            ...inner,
          ]);
          const inverse = new Array<number>(perm.length);
          perm.forEach((p, i) => {
            inverse[p] = i;
          });
          return tf.transpose(scattered, inverse);
        },
        indices: () => tf.zerosLike(indices),
      };
    },
  },
  // Matrix products: C = op(A)·op(B), gradients with explicit transposes only.
  {
    kernel: "BatchMatMul",
    inputs: ["a", "b"],
    grad: (dy, [a, b], attrs) => {
      const g = dy as tf.Tensor;
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
      const mm = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q);
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!ta && !tb) {
        da = () => mm(g, swapLast(b));
        db = () => mm(swapLast(a), g);
      } else if (!ta && tb) {
        da = () => mm(g, b);
        db = () => mm(swapLast(g), a);
      } else if (ta && !tb) {
        da = () => mm(b, swapLast(g));
        db = () => mm(a, g);
      } else {
        da = () => mm(swapLast(b), swapLast(g));
        db = () => mm(swapLast(g), swapLast(a));
      }
      return { a: () => unbroadcast(da(), a.shape), b: () => unbroadcast(db(), b.shape) };
    },
  },
  {
    kernel: "Softmax",
    outputs: true,
    grad: (dy, [y], attrs) => {
      const dim = (attrs.dim as number) ?? -1;
      const g = dy as tf.Tensor;
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
    },
  },
  {
    kernel: "Cumsum",
    // The adjoint of a cumulative sum is the cumulative sum in the other direction.
    grad: (dy, _saved, attrs) => ({
      x: () =>
        tf.cumsum(
          dy as tf.Tensor,
          attrs.axis as number,
          attrs.exclusive as boolean,
          !(attrs.reverse as boolean),
        ),
    }),
  },
];

let registered = false;

/** Registers the gradients above for every kernel that has none yet. Idempotent. */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    if (tf.getGradient(c.kernel) != null) continue;
    tf.registerGradient({
      kernelName: c.kernel,
      inputsToSave: c.inputs,
      saveAllInputs: c.saveAll,
      outputsToSave: c.outputs ? [true] : undefined,
      gradFunc: c.grad as never,
    });
  }
  if (tf.getGradient("Concat") == null) {
    tf.registerGradient({
      kernelName: "Concat",
      saveAllInputs: true,
      gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const rank = saved[0].rank;
        const axis = axesOf(attrs.axis, rank)[0];
        const parts = tf.split(
          dy,
          saved.map((t) => t.shape[axis]),
          axis,
        );
        return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
      }) as never,
    });
  }
}
