import { ArgumentValueError, requireInteger } from '../errors.js';
import { deriveSpliceSites, type JunctionTableData, type SiteTableData } from '../io/tables.js';
import { Rng } from '../random.js';
import { simulateFraser } from './fraser.js';

/**
 * Split and non-split read tables in the reference's format, simulated from FRASER's own model,
 * with the truth of the injected aberrant splicing.
 *
 * Junctions come in splicing events of two that share one splice site: an alternative acceptor
 * (two junctions from one donor) or an alternative donor (two junctions into one acceptor), on a
 * random strand, one event per locus. Per sample and event, the event's split reads n and the
 * first junction's share ψ follow simulateFraser (a low-rank latent confounder on logit ψ,
 * beta-binomial counts, negative-binomial depth): k₁ = k, k₂ = n − k. Non-split reads at each
 * splice site are Poisson with mean `intronRetention` × the split reads through that site (plus
 * 0.5), so θ and jaccard have their denominators. Outliers are simulateFraser's: ψ moved by
 * 0.2–0.5 in a (sample, event) cell, which changes both junctions of the event; the truth table
 * lists both.
 */
export interface SpliceTableSimulationOptions {
  /** Samples (default 100). */
  samples?: number;
  /** Junctions (default 1000; rounded up to an even number: two per event). */
  junctions?: number;
  /** Latent dimension of the confounder (default 3). */
  latentDim?: number;
  /** Fraction of (sample, event) cells with aberrant splicing (default 1e-3). */
  outlierFrequency?: number;
  /** Mean split reads per event: log-uniform in this range (default [20, 300]). */
  meanCounts?: [number, number];
  /** Non-split reads per site as a fraction of the split reads through it (default 0.05). */
  intronRetention?: number;
  seed?: number;
}

export interface SpliceTableTruthRow {
  /** 0-based junction index (row of the junction table). */
  junction: number;
  sample: number;
  /** 'alternativeAcceptor' (shared donor) or 'alternativeDonor' (shared acceptor). */
  event: 'alternativeAcceptor' | 'alternativeDonor';
  /** The junction's true ψ within its event before injection, and the injected change of it. */
  psi: number;
  deltaPsi: number;
}

export interface SpliceTableSimulation {
  samples: string[];
  junctions: JunctionTableData;
  sites: SiteTableData;
  /** One row per (junction, sample) cell whose counts were made aberrant. */
  truth: SpliceTableTruthRow[];
}

export function simulateSpliceTables(options: SpliceTableSimulationOptions = {}): SpliceTableSimulation {
  const N = requireInteger(options.samples ?? 100, 'samples', 2);
  const J0 = requireInteger(options.junctions ?? 1000, 'junctions', 2);
  const E = Math.ceil(J0 / 2);
  const J = 2 * E;
  const seed = requireInteger(options.seed ?? 1, 'seed', 0);
  const retention = options.intronRetention ?? 0.05;
  if (typeof retention !== 'number' || !(retention >= 0) || !Number.isFinite(retention)) {
    throw new ArgumentValueError(`intronRetention must be a finite number ≥ 0, got ${String(retention)}`, 'intronRetention');
  }
  const sim = simulateFraser({
    samples: N, junctions: E, latentDim: options.latentDim ?? 3, confounderSd: 0.8, seed,
    outlierFrequency: options.outlierFrequency ?? 1e-3, meanCounts: options.meanCounts ?? [20, 300],
  });
  const rng = new Rng(seed + 7919);
  const seqnames: string[] = new Array(J);
  const start = new Uint32Array(J), end = new Uint32Array(J);
  const strand: ('+' | '-')[] = new Array(J);
  const kind: SpliceTableTruthRow['event'][] = new Array(E);
  for (let e = 0; e < E; e++) {
    const chrom = `chr${1 + (e % 22)}`;
    const locus = 100_000 + Math.floor(e / 22) * 20_000;
    const s: '+' | '-' = rng.uniform() < 0.5 ? '+' : '-';
    const altAcceptor = rng.uniform() < 0.5;
    kind[e] = altAcceptor ? 'alternativeAcceptor' : 'alternativeDonor';
    // Intron coordinates (1-based, closed). The shared site is the junctions' common start or end;
    // on '+' the start side is the donor, on '−' the acceptor.
    const a = locus + 1000 + Math.floor(rng.uniform() * 2000);
    const b = a + 500 + Math.floor(rng.uniform() * 3000);
    const shift = 50 + Math.floor(rng.uniform() * 400);
    const sharedStart = altAcceptor === (s === '+');
    const j1 = 2 * e, j2 = 2 * e + 1;
    seqnames[j1] = seqnames[j2] = chrom;
    strand[j1] = strand[j2] = s;
    start[j1] = a;
    end[j1] = b;
    start[j2] = sharedStart ? a : a + shift;
    end[j2] = sharedStart ? b + shift : b;
  }
  const samples = Array.from({ length: N }, (_, i) => `sample${String(i + 1).padStart(String(N).length, '0')}`);
  const kJ = new Uint32Array(N * J);
  for (let i = 0; i < N; i++) {
    for (let e = 0; e < E; e++) {
      const k = sim.k[i * E + e], n = sim.n[i * E + e];
      kJ[i * J + 2 * e] = k;
      kJ[i * J + 2 * e + 1] = n - k;
    }
  }
  const features = { seqnames, start, end, strand };
  const derived = deriveSpliceSites(features);
  const S = derived.spliceSiteID.length;
  // Split reads through each site, then Poisson non-split reads.
  const kS = new Uint32Array(N * S);
  for (let i = 0; i < N; i++) {
    const through = new Float64Array(S);
    for (let j = 0; j < J; j++) {
      through[derived.startID[j] - 1] += kJ[i * J + j];
      through[derived.endID[j] - 1] += kJ[i * J + j];
    }
    for (let s = 0; s < S; s++) kS[i * S + s] = rng.poisson(retention * through[s] + 0.5);
  }
  const truth: SpliceTableTruthRow[] = [];
  for (let i = 0; i < N; i++) {
    for (let e = 0; e < E; e++) {
      const c = i * E + e;
      if (!sim.outliers[c]) continue;
      const psi = sim.mu[c];
      const n = sim.n[c];
      const observed = n > 0 ? sim.k[c] / n : psi;
      truth.push({ junction: 2 * e, sample: i, event: kind[e], psi, deltaPsi: observed - psi });
      truth.push({ junction: 2 * e + 1, sample: i, event: kind[e], psi: 1 - psi, deltaPsi: psi - observed });
    }
  }
  return {
    samples,
    junctions: { samples, features, startID: derived.startID, endID: derived.endID, counts: kJ },
    sites: { samples, features: derived.features, spliceSiteID: derived.spliceSiteID, type: derived.type, counts: kS },
    truth,
  };
}
