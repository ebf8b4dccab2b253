// What each diagnostic code means, for SARIF rules and help text (the table in
// docs/commands.md lists the same codes; test/report-formats.test.ts keeps them equal).
export interface RuleInfo {
  codes: readonly string[];
  /** What is wrong, and so how to fix it. */
  text: string;
}

export const RULES: readonly RuleInfo[] = [
  { codes: ["YAML_SYNTAX", "YAML_MULTI_DOCUMENT", "FILE_UNREADABLE"], text: "the file cannot be read or parsed (exit 2)" },
  { codes: ["DUPLICATE_KEY"], text: "a key appears twice in one mapping (including a workflow UUID)" },
  { codes: ["UNKNOWN_KEY"], text: "a key the schema does not know; the hint suggests the nearest one" },
  { codes: ["MISSING_KEY", "WRONG_TYPE", "INVALID_VALUE", "INVALID_KEY"], text: "generic schema failures" },
  { codes: ["YAML11_BOOLEAN", "YAML11_NUMBER"], text: "an unquoted no/on/yes/1.10/300 where a string belongs: Helm (YAML 1.1) reads a boolean or a number" },
  { codes: ["STAGE_NAME_INVALID"], text: "a stage name that is not a DNS-1123 label" },
  { codes: ["STAGE_NAME_MISMATCH", "LOCK_NAME_MISMATCH"], text: "stageName or lockName disagrees with the stage key" },
  { codes: ["IMAGE_REPOSITORY_INVALID", "IMAGE_TAG_INVALID", "TIMEOUT_INVALID", "LOCK_NAME_INVALID", "PATH_NOT_ABSOLUTE", "FOLDER_NAME_INVALID", "QUANTITY_INVALID", "ENV_NAME_INVALID"], text: "malformed stage fields" },
  { codes: ["MARKER_UNCLOSED", "MARKER_UNOPENED", "MARKER_MISMATCH", "MARKER_DUPLICATE"], text: "##BEGIN_x## / ##END_x## pairs that do not match up" },
  { codes: ["MARKER_EMPTY", "MARKER_MULTIPLE", "MARKER_NAME_MISMATCH"], text: "a fence that holds no stage, several stages, or a stage with another name" },
  { codes: ["WORKFLOW_ID_INVALID", "WORKFLOW_NAME_INVALID", "WORKFLOW_NAME_DUPLICATE"], text: "workflow keys must be lowercase UUIDs; names must be well-formed and unique" },
  { codes: ["WORKFLOW_STAGES_EMPTY", "WORKFLOW_STAGE_UNKNOWN", "WORKFLOW_STAGE_REPEATED"], text: "stages is empty, names an undefined stage, or repeats one" },
  { codes: ["WORKFLOW_LENGTH_MISMATCH"], text: "waitLocks and args need one entry per stage; ioFolders needs one more" },
  { codes: ["WAITLOCK_UNKNOWN", "WAITLOCK_ORDER", "WAITLOCK_CYCLE"], text: "a wait lock must be \"\" or the lockName of a stage that runs earlier in the workflow; the lock graph must be acyclic" },
  { codes: ["IOFOLDER_INVALID"], text: "an ioFolders entry that is absolute, contains .., whitespace, . or an empty segment" },
  { codes: ["ARGS_INVALID"], text: "an args entry that is neither \"\" nor a list of strings" },
  { codes: ["AE_TITLE_INVALID", "AE_TITLE_DUPLICATE", "PORT_INVALID", "HOST_INVALID", "UID_INVALID", "PIPELINE_ID_INVALID", "DESTINATION_DUPLICATE", "SOURCE_DUPLICATE"], text: "DICOM configuration fields" },
  { codes: ["MAPPING_AE_UNKNOWN", "MAPPING_DESTINATION_UNKNOWN", "MAPPING_WORKFLOW_UNKNOWN", "MAPPING_DUPLICATE"], text: "DICOM mappings that do not resolve, or repeat" },
  { codes: ["PIPELINE_API_VERSION", "NAME_INVALID", "OPERATOR_DUPLICATE", "INPUT_FROM_UNKNOWN", "INPUT_NAME_UNKNOWN", "INPUT_NAME_AMBIGUOUS", "INPUT_PATH_MISSING", "OUTPUT_PATH_MISSING", "PATH_NOT_ROOTED", "PIPELINE_CYCLE", "OPERATORS_EMPTY", "ORCHESTRATOR_INVALID", "TYPED_IO_NEEDS_CLARA", "TYPED_PATH_NOT_ALLOWED", "TYPED_FIELD_MISSING", "TYPED_FIELD_NOT_ALLOWED", "SERVICE_DUPLICATE", "CONNECTION_DUPLICATE", "CONNECTION_NAME_INVALID", "PORT_OUT_OF_RANGE", "OUTPUT_NAME_MISSING", "OUTPUT_DUPLICATE", "PARAMETER_UNDEFINED", "PARAMETERS_INVALID", "REQUEST_NOT_WHOLE", "IMPORT_UNREADABLE", "IMPORT_INVALID"], text: "pipeline definitions" },
  { codes: ["FIELD_NEWER_THAN_API_VERSION", "VARIABLES_UNDER_CONTAINER", "YAML11_NUMBER", "YAML11_BOOLEAN"], text: "a pipeline field used under an older api-version than introduced it; variables under container (Clara reads them beside it); an unquoted 18.04 or no where text belongs (a YAML 1.1 reader takes a number or boolean; clara-wf reads the text written) (in a pipeline file)" },
  { codes: ["MOUNT_PATH_DUPLICATE"], text: "one path mounted twice in a stage's container (an input at the publish folder, two inputs at one path, an operator's input and output at one path): the API server refuses such a pod (values.yaml and pipeline files)" },
  { codes: ["WORKFLOW_OBJECT_NAME_DUPLICATE"], text: "two workflow names that become one object name (Liver.Seg and liver-seg both give the WorkflowTemplate \u2026-liver-seg: names are lowercased, _ and . become -)" },
  { codes: ["ARGO_TASK_NAME_DIGIT"], text: "under engine argo, a stage whose name starts with a digit and that depends on another: Argo refuses such a DAG task (argo-workflows workflow/validate/validate.go, validateDAG)" },
  { codes: ["ARGO_HOSTPATH_UNPINNED"], text: "engine argo with a hostPath volume and no volume.nodeSelector: the stages of a run start one after another and pod affinity cannot keep them on the node holding the folder (see The chart, Volume)" },
  { codes: ["MWM_TEMPLATE_NAME_RESERVED"], text: "a stage named md-workflow-entrypoint, exit-message-template, send-message or generate-message: MONAI Deploy's Argo plug-in adds templates of these names, so export monai refuses it" },
  { codes: ["GATEWAY_VOLUME_PER_RUN", "GATEWAY_HOSTPATH_UNPINNED"], text: "gateway.enabled with job folders the gateway cannot share with the stage pods: a volumeClaimTemplate (a new claim per run), or a hostPath with no volume.nodeSelector (the chart fails unless the cluster has one node)" },
  { codes: ["VOLUME_TYPE_ENGINE"], text: "volume.type: volumeClaimTemplate with engine jobs: nothing would create the claim (Argo does, per run)" },
  { codes: ["RELEASE_TOO_LARGE"], text: "helm keeps each release in one Secret, base64(gzip(chart + values + manifest)), and the API server refuses a Secret over 1 MiB (ValidateSecret). Estimated from the values (calibrated on real helm template output, erring high by at most 25%: test/platform-rules.test.ts); fix: split the workflows over several releases, or engine jobs (about half the size of argo) ( from 0.8 MiB, error from 1 MiB)" },
  { codes: ["INPUTS_FROM_INVALID", "INPUTS_INVALID"], text: "a workflow's fan-in inputs naming a stage that does not run earlier" },
  { codes: ["INPUTS_NAME_UNKNOWN", "INPUTS_NAME_AMBIGUOUS", "OUTPUT_CLASH"], text: "an input naming an output its stage does not have, or none of a stage with several; an extraOutputs entry reusing another output's name or folder" },
  { codes: ["NO_SOURCES", "MAPPING_NAME_MISMATCH"], text: "every sender rejected; a mapping named unlike its workflow (warnings)" },
  { codes: ["DICOM_CONFIG_MISSING"], text: "the chart has no DICOM configuration at dicomConfigFile (files/dicom-server-config.yaml by default), or it is empty: the chart's guard fails in catalog mode" },
  { codes: ["IMAGE_TAG_LATEST"], text: "the latest tag: what runs can change with no change here" },
  { codes: ["STAGE_UNUSED"], text: "a stage that no workflow uses" },
  { codes: ["STAGE_UNFENCED"], text: "a stage without markers; cs will not rewrite it" },
  { codes: ["DESTINATION_NAME_INVALID", "ENGINE_INVALID", "GROUPING_INVALID", "OUTPUT_NAME_INVALID", "RETRIES_INVALID", "TRIGGER_INVALID", "SERVICE_TYPE_INVALID", "TOKEN_INVALID"], text: "a field the schema constrains to a pattern or a set of values (a destination name, engine jobs or argo, an intake grouping or trigger, an output name, export retries, the gateway's Service type and dashboard token)" },
  { codes: ["CATALOG_ENTRY_TOO_LARGE"], text: "a workflow whose resolved JSON (its stages' full specs) is larger than catalog.maxBytes, so it fits in no catalog ConfigMap: the chart's guard in templates/catalog.yaml fails" },
  { codes: ["JOB_WORKFLOW_UNKNOWN", "JOB_ID_INVALID"], text: "run mode: job.workflow names no workflow (by UUID or name), or job.id is not a lowercase UUID or DNS label of at most 40 characters" },
  { codes: ["SET_SYNTAX", "VALUES_NOT_MAPPING"], text: "a --set value helm cannot parse (its syntax, or a key under a value that is null or not a map), or an -f file that is not a mapping (exit 2)" },
  { codes: ["GOLDEN_CHANGED", "GOLDEN_MISSING", "GOLDEN_STALE"], text: "golden check: what the chart renders differs from a golden file, a rendered file has none, or a golden file is rendered no more (exit 3; clara-wf golden update accepts the change)" },
];

const byCode = new Map(RULES.flatMap((r) => r.codes.map((c) => [c, r] as const)));

/** The catalog entry of a code (undefined for a code the catalog lacks: a test forbids that). */
export function ruleInfo(code: string): RuleInfo | undefined {
  return byCode.get(code);
}
