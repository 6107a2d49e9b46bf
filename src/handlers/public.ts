/**
 * The public API for handler modules outside the source tree
 * (TOOLPORT_HANDLERS_DIR, README "Your own handler modules"):
 * `import { defineHandler, ToolInputError, toolResult } from 'toolport'`.
 * Only what a module author needs; everything else is internal.
 */
export {
  defineHandler,
  type Handler,
  type HandlerContext,
  type HandlerPlacement,
  type HandlerResult,
  type HandlerSpec,
  type JsonObject,
  ToolInputError,
} from './define.ts';
export { type ContentBlock, type ToolResult, type ToolResultInit, toolResult } from './result.ts';
