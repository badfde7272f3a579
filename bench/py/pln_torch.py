#!/usr/bin/env python3
"""An independent PyTorch CPU implementation of the Poisson-lognormal variational ELBOs: the
comparison for the PLN benchmarks and the source of the test fixtures. One thread, float64.

Model. Y_ij | Z_ij ~ Poisson(exp(O_ij + Z_ij)) independently, Z_i ~ N(X_i B, Σ), X n×d, B d×p.
Variational family: Gaussians with diagonal covariance, one per sample. Every ELBO below is exact:
Σ lnΓ(Y+1) is subtracted (no Stirling approximation) and every additive constant is kept, so the
values are log-likelihood lower bounds in nats; the log 2π terms of the prior and the entropy
cancel. S enters through log S (S = exp(log S) > 0).

  pca (rank q; C = V Λ^{1/2} free, p×q; M, S n×q; latent W_i ~ N(0, I_q), Z_i = X_i B + C W_i):
    J = Σ[Y∘(O + XB + MCᵀ) − A] − ½Σ(M² + S²) + ½Σ log S² − Σ lnΓ(Y+1) + nq/2,
    A = exp(O + XB + MCᵀ + ½ (S∘S)(C∘C)ᵀ).
  fixed-v: the same with C = V diag(λ)^{1/2}, V p×q given (orthonormal), parameters B, log λ, M,
    log S.
  full (profiled; M, S n×p, latent Z_i − O_i ~ q = N(M_i, diag S_i²)):
    B̂ = (XᵀX)⁻¹XᵀM,  Σ̂ = ((M − XB̂)ᵀ(M − XB̂) + diag(Σ_i S_i²)) / n,
    J = Σ[Y∘(O + M) − A] − (n/2) log det Σ̂ + ½Σ log S² − Σ lnΓ(Y+1),  A = exp(O + M + ½S²).
    This is the explicit ELBO
      Σ[Y∘(O+M) − A] − (n/2) log|Σ| − ½ tr(Σ⁻¹ Σ_i[(M_i − X_iB)ᵀ(M_i − X_iB) + diag S_i²])
      + ½Σ log S² + np/2 − Σ lnΓ(Y+1)
    at B = B̂, Σ = Σ̂ (the trace is then np, cancelling np/2); `elbo_full_explicit` computes it
    and the fixtures check the equality.
  diag (profiled): the same with Σ̂ replaced by its diagonal (B̂ is unchanged: every column has
    the same design X).

Usage
  pln_torch.py fit DIR --model pca|fixed-v|full|diag [--rank q] [--iters 400] [--optim rprop,lbfgs]
      [--lbfgs-max-iter 20000] [--lbfgs-tol-change 1e-9] [--lbfgs-tol-grad 1e-7] [--out DIR2]
    DIR holds meta.json {"n", "p", "d"} and little-endian float64 row-major files: Y.f64 (n×p),
    optionally X.f64 (n×d; default: an intercept column, d = 1), O.f64 (n×p; default 0) and, for
    fixed-v, V.f64 (p×q; q from meta "q" or --rank). Prints one JSON line per optimiser: the final
    exact ELBO, seconds (initialisation and optimisation apart), iterations, function evaluations
    and why it stopped. --out writes B.f64 (d×p), Sigma.f64 (p×p), M.f64, S.f64 of the last run.
  pln_torch.py simulate DIR --n N --p P --q Q [--rho 0.5] [--d 1] [--seed 1]
    writes the seed's design simulated in numpy (not bit-identical to src/simulate/pln.ts).
  pln_torch.py fixtures
    runs test/fixtures/pln/make_pln_fixtures.py, which imports this file and writes
    test/fixtures/pln/pln_fixtures.json.

Optimisers. Both minimise f = −J / |J(x₀)| (scaled to order one at the start).
  rprop: torch.optim.Rprop(lr=0.01), a fixed number of iterations (default 400): the reference
    packages' choice (sign-based, so the scaling of f does not matter).
  lbfgs: torch.optim.LBFGS(lr=1, history_size=10, line_search_fn='strong_wolfe'), run until one of
    its own tests fires: |f_k − f_{k−1}| < tol_change (torch's default 1e-9, i.e. a relative ELBO
    change of about 1e-9 per iteration because |f| ≈ 1), max|∇f| ≤ tol_grad (torch's default 1e-7),
    a step below tol_change, or max_iter. history_size 10 instead of torch's 100 keeps memory at 20
    vectors (the full model at n = 10⁴, p = 200 has 4·10⁶ parameters). A looser tol_change stops
    pca far too early: at n = 10⁴, p = 200, q = 20, 1e-8 stops after 195 iterations 3 070 nats
    below where 1e-9 stops (2 855 iterations), and the pca ELBO is still rising slowly there.

Initialisation (deterministic; the same for both optimisers). L = log(1 + Y) − O;
  B₀ = (XᵀX)⁻¹XᵀL (least squares), R = L − XB₀.
  pca: the rank-q truncated SVD R ≈ U D Wᵀ; C₀ = W D/√n (so C₀C₀ᵀ is R's rank-q covariance),
    M₀ = √n U (unit-variance scores, M₀C₀ᵀ = U D Wᵀ), S₀_ik = (1 + Σ_j A₀_ij C₀_jk²)^(−1/2) with
    A₀ = exp(O + XB₀ + M₀C₀ᵀ): the diagonal of the Laplace approximation's posterior covariance
    (the reference packages invert the full q×q Laplace Hessian and start M from 40 Rprop steps
    on the MAP).
  fixed-v: λ₀_k = max(v_kᵀ (RᵀR/n) v_k, 1e-4), M₀ = R V diag(λ₀)^(−1/2), S₀ as for pca.
  full, diag: M₀ = L (M holds Z − O), S₀ = ½ (the reference packages start M at log Y with zeros
    replaced by 0, and S at ½).
"""
import argparse
import json
import math
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
DT = torch.float64
MODELS = ("pca", "fixed-v", "full", "diag")


def log_factorial_sum(Y):
    """Σ lnΓ(Y + 1), exact."""
    return torch.lgamma(Y + 1).sum()


def _with_offsets(T, O):
    return T if O is None else T + O


def elbo_pca(Y, X, O, B, C, M, logS, lf):
    """Rank-q ELBO. Y, O n×p (O may be None), X n×d, B d×p, C p×q, M, logS n×q, lf = Σ lnΓ(Y+1)."""
    n, q = M.shape
    S2 = torch.exp(2 * logS)
    lin = _with_offsets(X @ B, O) + M @ C.T
    A = torch.exp(lin + 0.5 * (S2 @ (C * C).T))
    return (Y * lin - A).sum() - 0.5 * (M * M + S2).sum() + logS.sum() - lf + 0.5 * n * q


def components_fixed_v(V, logLam):
    """C = V diag(λ)^{1/2} with λ = exp(log λ)."""
    return V * torch.exp(0.5 * logLam)[None, :]


def elbo_fixed_v(Y, X, O, B, V, logLam, M, logS, lf):
    """The seed's model: the rank-q ELBO with C = V diag(exp(log λ))^{1/2}; V p×q, logLam q."""
    return elbo_pca(Y, X, O, B, components_fixed_v(V, logLam), M, logS, lf)


def hat_solver(X):
    """P = (XᵀX)⁻¹Xᵀ (d×n), so that B̂ = P M."""
    return torch.linalg.solve(X.T @ X, X.T)


def closed_form(X, M, S2, diag, P=None):
    """B̂ = (XᵀX)⁻¹XᵀM and Σ̂ = (RᵀR + diag(Σ_i S_i²))/n with R = M − XB̂ (diagonal part only if diag)."""
    n = M.shape[0]
    P = hat_solver(X) if P is None else P
    B = P @ M
    R = M - X @ B
    if diag:
        return B, ((R * R).sum(0) + S2.sum(0)) / n
    return B, (R.T @ R + torch.diag(S2.sum(0))) / n


def _poisson_entropy(Y, O, M, logS):
    """Σ[Y∘(O+M) − A] + ½Σ log S² with A = exp(O + M + ½S²) (the p-dimensional models), and S²."""
    S2 = torch.exp(2 * logS)
    lin = _with_offsets(M, O)
    return (Y * lin - torch.exp(lin + 0.5 * S2)).sum() + logS.sum(), S2


def elbo_profiled(Y, X, O, M, logS, lf, diag=False, P=None):
    """Full (or diag) ELBO with B and Σ profiled out. M, logS n×p. Returns (J, B̂, Σ̂)."""
    n = M.shape[0]
    base, S2 = _poisson_entropy(Y, O, M, logS)
    B, Sig = closed_form(X, M, S2, diag, P)
    if diag:
        logdet = torch.log(Sig).sum()
    else:
        logdet = 2 * torch.log(torch.diagonal(torch.linalg.cholesky(Sig))).sum()
    return base - 0.5 * n * logdet - lf, B, Sig


def elbo_full_explicit(Y, X, O, B, Sigma, M, logS, lf):
    """The unprofiled full ELBO at any (B, Σ); Sigma p×p symmetric positive definite."""
    n, p = M.shape
    base, S2 = _poisson_entropy(Y, O, M, logS)
    R = M - X @ B
    Lc = torch.linalg.cholesky(Sigma)
    logdet = 2 * torch.log(torch.diagonal(Lc)).sum()
    tr = torch.trace(torch.cholesky_solve(R.T @ R + torch.diag(S2.sum(0)), Lc))
    return base - 0.5 * n * logdet - 0.5 * tr + 0.5 * n * p - lf


def elbo_diag_explicit(Y, X, O, B, sigma2, M, logS, lf):
    """The unprofiled diagonal-Σ ELBO; sigma2 is the diagonal (length p)."""
    n, p = M.shape
    base, S2 = _poisson_entropy(Y, O, M, logS)
    R = M - X @ B
    tr = (((R * R).sum(0) + S2.sum(0)) / sigma2).sum()
    return base - 0.5 * n * torch.log(sigma2).sum() - 0.5 * tr + 0.5 * n * p - lf


def _laplace_diag_s(Y, X, O, B, C, M):
    A0 = torch.exp(_with_offsets(X @ B, O) + M @ C.T)
    return torch.rsqrt(1 + A0 @ (C * C))


def initialise(model, Y, X, O, q=None, V=None):
    """Starting parameters (a dict of tensors) as described in the module docstring."""
    n, p = Y.shape
    L = torch.log1p(Y) if O is None else torch.log1p(Y) - O
    if model in ("full", "diag"):
        return {"M": L.clone(), "logS": torch.full((n, p), math.log(0.5), dtype=DT)}
    B = torch.linalg.lstsq(X, L).solution
    R = L - X @ B
    if model == "pca":
        U, D, Wt = torch.linalg.svd(R, full_matrices=False)
        C = Wt[:q].T * (D[:q] / math.sqrt(n))[None, :]
        M = U[:, :q] * math.sqrt(n)
        S = _laplace_diag_s(Y, X, O, B, C, M)
        return {"B": B, "C": C, "M": M, "logS": torch.log(S)}
    if model == "fixed-v":
        lam = torch.clamp((((R @ V) ** 2).sum(0)) / n, min=1e-4)
        M = (R @ V) / torch.sqrt(lam)[None, :]
        C = components_fixed_v(V, torch.log(lam))
        S = _laplace_diag_s(Y, X, O, B, C, M)
        return {"B": B, "logLam": torch.log(lam), "M": M, "logS": torch.log(S)}
    raise ValueError(f"unknown model {model}")


def objective(model, Y, X, O, lf, V=None):
    """A function of the parameter dict returning J (a scalar tensor) for the given model."""
    if model == "pca":
        return lambda t: elbo_pca(Y, X, O, t["B"], t["C"], t["M"], t["logS"], lf)
    if model == "fixed-v":
        return lambda t: elbo_fixed_v(Y, X, O, t["B"], V, t["logLam"], t["M"], t["logS"], lf)
    P = hat_solver(X)
    diag = model == "diag"
    return lambda t: elbo_profiled(Y, X, O, t["M"], t["logS"], lf, diag, P)[0]


def model_parameters(model, t, X, V=None):
    """(B, Σ) of a parameter dict."""
    with torch.no_grad():
        if model == "pca":
            return t["B"], t["C"] @ t["C"].T
        if model == "fixed-v":
            return t["B"], (V * torch.exp(t["logLam"])[None, :]) @ V.T
        B, Sig = closed_form(X, t["M"], torch.exp(2 * t["logS"]), model == "diag")
        return B, torch.diag(Sig) if model == "diag" else Sig


def _leaves(t):
    """Makes every parameter a contiguous leaf tensor that requires grad (L-BFGS flattens views of .grad)."""
    for k in t:
        t[k] = t[k].detach().contiguous().clone().requires_grad_(True)
    return list(t.values())


def run_rprop(J, t, iters, lr=0.01):
    params = _leaves(t)
    with torch.no_grad():
        scale = abs(float(J(t)))
    opt = torch.optim.Rprop(params, lr=lr)
    for _ in range(iters):
        opt.zero_grad()
        loss = -J(t) / scale
        loss.backward()
        opt.step()
    return {"iterations": iters, "evaluations": iters, "reason": "iterations"}


def run_lbfgs(J, t, max_iter=20000, tol_change=1e-9, tol_grad=1e-7, history=10):
    params = _leaves(t)
    with torch.no_grad():
        scale = abs(float(J(t)))
    max_eval = int(max_iter * 1.25)
    opt = torch.optim.LBFGS(params, lr=1, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tol_grad,
                            tolerance_change=tol_change, history_size=history, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -J(t) / scale
        loss.backward()
        return loss

    opt.step(closure)
    st = opt.state[opt._params[0]]
    gmax = max(float(p.grad.abs().max()) for p in params)
    if st["n_iter"] >= max_iter:
        reason = "maxIter"
    elif st["func_evals"] >= max_eval:
        reason = "maxEval"
    elif gmax <= tol_grad:
        reason = "gradient"
    else:
        reason = "change"
    return {"iterations": int(st["n_iter"]), "evaluations": int(st["func_evals"]), "reason": reason, "maxGradScaled": gmax}


def load_problem(d, model, rank):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    n, p = int(meta["n"]), int(meta["p"])

    def rd(name, shape, required=False):
        path = os.path.join(d, name)
        if not os.path.exists(path):
            if required:
                sys.exit(f"{path} is missing")
            return None
        a = np.fromfile(path, dtype="<f8")
        if a.size != shape[0] * shape[1]:
            sys.exit(f"{path} has {a.size} values, expected {shape[0]}×{shape[1]}")
        return torch.from_numpy(a.reshape(shape).copy())

    Y = rd("Y.f64", (n, p), True)
    dd = int(meta.get("d", 1))
    X = rd("X.f64", (n, dd))
    if X is None:
        X = torch.ones((n, 1), dtype=DT)
    O = rd("O.f64", (n, p))
    q = rank if rank is not None else meta.get("q")
    V = None
    if model in ("pca", "fixed-v") and q is None:
        sys.exit("--rank (or meta q) is needed for pca and fixed-v")
    if model == "fixed-v":
        V = rd("V.f64", (p, int(q)), True)
    return Y, X, O, (int(q) if q is not None else None), V


def cmd_fit(a):
    Y, X, O, q, V = load_problem(a.dir, a.model, a.rank)
    n, p = Y.shape
    lf = log_factorial_sum(Y)
    J = objective(a.model, Y, X, O, lf, V)
    warm = initialise(a.model, Y, X, O, q, V)
    _leaves(warm)
    (-J(warm)).backward()  # warm-up: first-call allocations and library loading stay out of the timings
    last = None
    for name in a.optim.split(","):
        t0 = time.perf_counter()
        t = initialise(a.model, Y, X, O, q, V)
        t1 = time.perf_counter()
        with torch.no_grad():
            elbo0 = float(J(t))
        if name == "rprop":
            info = run_rprop(J, t, a.iters, a.lr)
        elif name == "lbfgs":
            info = run_lbfgs(J, t, a.lbfgs_max_iter, a.lbfgs_tol_change, a.lbfgs_tol_grad)
        else:
            sys.exit(f"unknown optimiser {name}")
        t2 = time.perf_counter()
        with torch.no_grad():
            elbo = float(J(t))
        out = {"impl": "torch", "model": a.model, "optimizer": name, "n": n, "p": p, "d": X.shape[1], "q": q,
               "elbo": elbo, "elboInit": elbo0, "seconds": t2 - t1, "initSeconds": t1 - t0, **info,
               "threads": torch.get_num_threads(), "dtype": "float64", "torch": torch.__version__}
        print(json.dumps(out), flush=True)
        last = t
    if a.out and last is not None:
        os.makedirs(a.out, exist_ok=True)
        B, Sig = model_parameters(a.model, last, X, V)
        for name, v in (("B", B), ("Sigma", Sig), ("M", last["M"]), ("S", torch.exp(last["logS"]))):
            v.detach().numpy().astype("<f8").tofile(os.path.join(a.out, name + ".f64"))


def ar1_truncated(p, q, rho):
    """(V p×q, λ q) of the top q eigenpairs of AR1(ρ), first non-negligible entry of each column positive."""
    idx = np.arange(p)
    S = rho ** np.abs(idx[:, None] - idx[None, :])
    w, U = np.linalg.eigh(S)
    order = np.argsort(w)[::-1][:q]
    V = U[:, order]
    for k in range(q):
        col = V[:, k]
        first = np.flatnonzero(np.abs(col) > 1e-6 * np.abs(col).max())[0]
        if col[first] < 0:
            V[:, k] = -col
    return V, w[order]


def simulate_numpy(n, p, q, rho=0.5, d=1, seed=1):
    """The seed's design (as src/simulate/pln.ts, other random streams): returns Y, X, V, λ, B, Z."""
    rng = np.random.default_rng(seed)
    V, lam = ar1_truncated(p, q, rho)
    B = np.zeros((d, p))
    B[1:] = 0.3 * rng.standard_normal((d - 1, p))
    X = np.ones((n, d))
    X[:, 1:] = rng.standard_normal((n, d - 1))
    W = rng.standard_normal((n, q))
    Z = X @ B + (W * np.sqrt(lam)[None, :]) @ V.T
    Y = rng.poisson(np.exp(Z)).astype(np.float64)
    return Y, X, V, lam, B, Z


def cmd_simulate(a):
    Y, X, V, lam, B, Z = simulate_numpy(a.n, a.p, a.q, a.rho, a.d, a.seed)
    os.makedirs(a.dir, exist_ok=True)
    for name, v in (("Y", Y), ("X", X), ("V", V), ("Lambda", lam), ("B", B)):
        np.ascontiguousarray(v).astype("<f8").tofile(os.path.join(a.dir, name + ".f64"))
    with open(os.path.join(a.dir, "meta.json"), "w") as f:
        json.dump({"n": a.n, "p": a.p, "d": a.d, "q": a.q, "rho": a.rho, "seed": a.seed, "source": "numpy"}, f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("dir")
    f.add_argument("--model", choices=MODELS, required=True)
    f.add_argument("--rank", type=int)
    f.add_argument("--iters", type=int, default=400)
    f.add_argument("--lr", type=float, default=0.01)
    f.add_argument("--optim", default="rprop,lbfgs")
    f.add_argument("--lbfgs-max-iter", type=int, default=20000)
    f.add_argument("--lbfgs-tol-change", type=float, default=1e-9)
    f.add_argument("--lbfgs-tol-grad", type=float, default=1e-7)
    f.add_argument("--out")
    s = sub.add_parser("simulate")
    s.add_argument("dir")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--p", type=int, required=True)
    s.add_argument("--q", type=int, required=True)
    s.add_argument("--rho", type=float, default=0.5)
    s.add_argument("--d", type=int, default=1)
    s.add_argument("--seed", type=int, default=1)
    sub.add_parser("fixtures", help="writes test/fixtures/pln/pln_fixtures.json")
    a = ap.parse_args(argv)
    if a.cmd == "fit":
        cmd_fit(a)
    elif a.cmd == "simulate":
        cmd_simulate(a)
    else:
        import runpy
        here = os.path.dirname(os.path.abspath(__file__))
        runpy.run_path(os.path.join(here, "..", "..", "test", "fixtures", "pln", "make_pln_fixtures.py"), run_name="__main__")


if __name__ == "__main__":
    main()
