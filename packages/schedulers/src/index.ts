/**
 * @largebatch/schedulers: learning-rate schedules as pure functions of the step, an object
 * that drives one on any optimizer's param groups, and the LARS study's exact schedule.
 * Depends on nothing.
 */
export { ScheduleOptionError } from './errors';
export { type Schedule } from './schedule';
export { warmup, type WarmupOptions } from './warmup';
export { polynomialDecay, type PolynomialDecayOptions } from './polynomial-decay';
export { cosine, type CosineOptions } from './cosine';
export { linear, type LinearOptions } from './linear';
export { step, type StepOptions } from './step';
export { chain } from './chain';
export { studySchedule, type StudySchedule, type StudyScheduleOptions } from './study';
export { LrScheduler, type LrSchedulerState, type OptimizerLike } from './lr-scheduler';
