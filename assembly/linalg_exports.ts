// Linear-algebra exports (filled in by assembly/linalg.ts).
