/** Public API of the YAML workflow language v1. */
export { findCycle, isFinished, nextActions, topologicalOrder, transitiveNeeds } from "./dag.ts";
export { DURATION_HINT, parseDuration } from "./duration.ts";
export {
  type BinaryOp,
  collectReferences,
  evaluateExpression,
  type Expr,
  type ExpressionContext,
  ExpressionError,
  FUNCTIONS,
  type FunctionName,
  type Literal,
  parseExpression,
  type Reference,
  type StepStatus,
  stringify,
  truthy,
  unwrapExpression,
  usesStatusFunction,
} from "./expression.ts";
export { InputError, type InputProblem, resolveInputs } from "./inputs.ts";
export { formatPath } from "./issues.ts";
export { WORKFLOW_SCHEMA_ID, workflowJsonSchema } from "./json-schema.ts";
export { formatOutputFile, OutputFileError, parseOutputFile } from "./outputs.ts";
export { formatIssue, type ParseResult, parseWorkflow, type WorkflowIssue } from "./parse.ts";
export { parseWorkflowMemo } from "./parse-memo.ts";
export { knownOutputs } from "./references.ts";
export {
  IDENTIFIER,
  type InputSpec,
  InputSpecSchema,
  type InputType,
  type InputValue,
  type LlmCall,
  type AgentCall,
  type AgentStepDef,
  type ApiRole,
  type HttpCall,
  type HttpStepDef,
  SERVER_STEP_KINDS,
  type WaitCall,
  type WaitStepDef,
  type LlmStepDef,
  normalizeStep,
  normalizeWorkflow,
  type RunStepDef,
  STEP_KINDS,
  type StepCommon,
  type StepDef,
  type StepDocument,
  StepDocumentSchema,
  type StepKind,
  type WorkflowDef,
  type WorkflowDocument,
  WorkflowDocumentSchema,
  WorkflowSchema,
} from "./schema.ts";
export {
  bodyStrings,
  HTTP_METHODS,
  HTTP_STEP_OUTPUTS,
  type HttpMethod,
  jsonPathProblem,
  mapBodyStrings,
  WAIT_STEP_OUTPUTS,
} from "./api-steps.ts";
export { inferScriptOutputs, type KnownOutputs } from "./script-outputs.ts";
export { type FoundExpression, findExpressions, interpolate, shouldRun } from "./template.ts";
