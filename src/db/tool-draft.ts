/** The columns of a tool row that a definition decides. */
export interface ToolDraft {
  name: string;
  title: string | null;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  handler: string;
  handlerConfig: Record<string, unknown>;
  annotations: Record<string, unknown>;
  enabled: boolean;
}
