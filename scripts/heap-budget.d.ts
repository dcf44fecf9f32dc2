/** The heap, in MB, for evaluating `Pulumi.<stack>.yaml` in `projectDir` (scripts/heap-budget.js). */
export declare function heapBudgetMb(stack: string, projectDir?: string): number;
/** Node's flags for evaluating the stack: that heap, and a 32 MB young generation. */
export declare function heapFlags(stack: string, projectDir?: string): string[];
