/** One command of scripts/commands.json. */
export interface Command {
  script: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean"; default?: string; multiple?: boolean }>;
  positionals?: number;
  /** The values a positional argument may take, when they are a fixed list. */
  positionalValues?: string[];
}
export declare const COMMANDS: Record<string, Command>;
export declare class UsageError extends Error {}
export declare function asksForHelp(argv: string[]): boolean;
export declare function parseCommandLine(name: string, argv: string[]): { values: Record<string, any>; positionals: string[] };
