import { z } from 'zod';
import { hostResultSchema, runModeSchema } from '@simplecm/domain';

/** The results queue's payload: a host's result plus what the consumer needs about its run. */
export const resultJobDataSchema = z.object({
  result: hostResultSchema,
  mode: runModeSchema,
  hostCount: z.number().int().min(1),
});
export type ResultJobData = z.infer<typeof resultJobDataSchema>;
