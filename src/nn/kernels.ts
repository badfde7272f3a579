/**
 * The dense-layer kernels of assembly/nn.ts as the core exports them (pointer ABI), and the
 * activation names the public API uses for their codes.
 */
import { ArgumentTypeError, ArgumentValueError } from '../errors.js';

/**
 * Element-wise activations φ and what each is for:
 * - 'identity': φ(z) = z (linear outputs, e.g. latent means)
 * - 'relu': max(z, 0) (hidden layers; φ'(0) is taken as 0)
 * - 'softplus': ln(1 + eᶻ), computed stably (positive outputs, e.g. variational variances)
 * - 'sigmoid': 1/(1 + e⁻ᶻ) (outputs in (0, 1))
 */
export type Activation = 'identity' | 'relu' | 'softplus' | 'sigmoid';

/** The kernel code of each activation (assembly/nn.ts). */
export const ACTIVATION_CODES: Readonly<Record<Activation, number>> = Object.freeze({ identity: 0, relu: 1, softplus: 2, sigmoid: 3 });

type Forward = (act: number, rows: number, cols: number, pB: number, pZ: number, ldz: number, pA: number, lda: number) => number;
type Backward = (
  act: number, rows: number, cols: number, pZ: number, ldz: number, pDA: number, ldda: number, pDZ: number, lddz: number, pDb: number,
) => number;
type ColumnSums = (rows: number, cols: number, pX: number, ldx: number, pOut: number) => void;

/**
 * assembly/nn.ts. Row-major blocks with leading dimensions in elements; the two activation kernels
 * return 0, or −1 for an unknown activation code.
 */
export interface NnExports {
  /** Z ← Z + 1bᵀ, A ← φ(Z). */
  nnBiasActivation: Forward; nnBiasActivationScalar: Forward;
  /** dZ ← dA ∘ φ'(Z); db ← db + Σᵢ dZ[i,:] when pDb ≠ 0. */
  nnActivationBackward: Backward; nnActivationBackwardScalar: Backward;
  /** out ← out + Σᵢ X[i,:]. */
  nnColumnSums: ColumnSums; nnColumnSumsScalar: ColumnSums;
}

/** Checks an activation name and returns it; errors name `name`. */
export function requireActivation(value: unknown, name: string): Activation {
  if (typeof value !== 'string') throw new ArgumentTypeError(`${name} must be an activation name, got ${typeof value}`, name);
  if (!Object.prototype.hasOwnProperty.call(ACTIVATION_CODES, value)) {
    throw new ArgumentValueError(`${name} must be one of ${Object.keys(ACTIVATION_CODES).join(', ')}, got '${value}'`, name);
  }
  return value as Activation;
}
