/** The heap, in MB, for evaluating the stack file `file` (scripts/heap-budget.js). */
export declare function heapBudgetMb(file: string): number;
/** Node's flags for evaluating the stack file `file`: that heap, and a 32 MB young generation. */
export declare function heapFlags(file: string): string[];
