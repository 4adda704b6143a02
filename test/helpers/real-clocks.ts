/**
 * The process's clocks as they really are, bound before any test steps them (see
 * clock-steps.ts): a test's own deadlines keep real time while the code under test sees a step.
 */
export const realWallNow: () => number = Date.now.bind(Date);
export const realMonotonicNow: () => number = performance.now.bind(performance);
