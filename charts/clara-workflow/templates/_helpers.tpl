{{/* Names and labels. Every name is a DNS-1123 name of at most 63 characters:
     longer ones are truncated and suffixed with a hash so they stay unique. */}}
{{- define "clara.dnsName" -}}
{{- $n := . | lower -}}
{{- if gt (len $n) 63 -}}
{{- printf "%s-%s" (trunc 52 $n | trimSuffix "-") (sha256sum $n | trunc 10) -}}
{{- else -}}
{{- $n -}}
{{- end -}}
{{- end -}}

{{- /* The name of one stage's object in one job: the whole job ID, so two jobs
       whose IDs share a prefix (patient-0001, patient-0002) never share a name.
       Over 63 characters, a readable part (the ID's first 8 characters and the
       stage) and a hash of the whole name. Keep in step with containerName in
       src/runner/plan.ts. Args: root, job, stage. */}}
{{- define "clara.jobObjectName" -}}
{{- /* A release named for its job (test --runtime cluster: <name>-<job ID>) does not repeat the ID. */ -}}
{{- $base := trimSuffix (printf "-%s" (.job | toString)) (include "clara.fullname" .root) -}}
{{- $full := printf "%s-%s-%s" $base (.job | toString) (.stage | toString) | lower -}}
{{- if le (len $full) 63 -}}
{{- $full -}}
{{- else -}}
{{- printf "%s-%s" (printf "%s-%s-%s" $base (trunc 8 (.job | toString)) (.stage | toString) | lower | trunc 52 | trimSuffix "-") (sha256sum $full | trunc 10) -}}
{{- end -}}
{{- end -}}

{{- define "clara.name" -}}
{{- default .Chart.Name .Values.nameOverride | include "clara.dnsName" -}}
{{- end -}}

{{- define "clara.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- include "clara.dnsName" .Values.fullnameOverride -}}
{{- else if contains (include "clara.name" .) .Release.Name -}}
{{- include "clara.dnsName" .Release.Name -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "clara.name" .) | include "clara.dnsName" -}}
{{- end -}}
{{- end -}}

{{- define "clara.labels" -}}
app.kubernetes.io/name: {{ include "clara.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | include "clara.dnsName" }}
{{- end -}}

{{/* The workflow a run-mode release runs: job.workflow is its UUID or its name. */}}
{{- define "clara.jobWorkflowId" -}}
{{- $ref := .Values.job.workflow | toString -}}
{{- $found := "" -}}
{{- range $id, $wf := .Values.workflows -}}
{{- if or (eq $id $ref) (eq ($wf.name | toString) $ref) -}}{{- $found = $id -}}{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/* Seconds a stage may run, counted from the Job's start: its own timeout plus
     those of the stages it waits on (all Jobs start together and wait on locks),
     capped by job.timeout when that is set. Args: dict "root" "wf" "index". */}}
{{- define "clara.stageDeadline" -}}
{{- $root := .root -}}
{{- $wf := .wf -}}
{{- $total := 0 -}}
{{- $i := .index -}}
{{- range $step := until (len $wf.stages) -}}
{{- if ge $i 0 -}}
{{- $stage := index $root.Values.stages (index $wf.stages $i) -}}
{{- $total = add $total (atoi ($stage.timeout | toString)) -}}
{{- $lock := index $wf.waitLocks $i -}}
{{- $next := -1 -}}
{{- if $lock -}}
{{- range $j, $s := $wf.stages -}}
{{- if eq (index $root.Values.stages $s).lockName $lock -}}{{- $next = $j -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $i = $next -}}
{{- end -}}
{{- end -}}
{{- $cap := atoi ((($root.Values.job).timeout) | default "0" | toString) -}}
{{- if and (gt $cap 0) (lt $cap $total) -}}{{- $cap -}}{{- else -}}{{- $total -}}{{- end -}}
{{- end -}}

{{- /* The folder (relative to the job's folder) a stage reads first (its
       NVIDIA_CLARA_INPUT): the seed's ioFolders[i] when it lists no inputs,
       else the input at its input path, else the first it lists ("" for
       none). Keep in step with mainInputFolder in src/core/workflow.ts.
       Args: root, wf, index. */}}
{{- define "clara.stageInput" -}}
{{- $wf := .wf -}}
{{- $i := .index -}}
{{- $st := index .root.Values.stages (index $wf.stages $i) -}}
{{- $folder := index $wf.ioFolders $i -}}
{{- $entry := "" -}}
{{- if $wf.inputs -}}{{- $entry = index $wf.inputs $i -}}{{- end -}}
{{- if kindIs "slice" $entry -}}
{{- $folder = "" -}}
{{- $main := clean (printf "%s/%s" $st.appDir $st.inputs) -}}
{{- range $inp := $entry -}}
{{- if and (not $folder) (eq (clean $inp.path) $main) -}}{{- $folder = include "clara.inputFolder" (dict "root" $.root "wf" $wf "input" $inp) -}}{{- end -}}
{{- end -}}
{{- if and (not $folder) $entry -}}{{- $folder = include "clara.inputFolder" (dict "root" $.root "wf" $wf "input" (first $entry)) -}}{{- end -}}
{{- end -}}
{{- $folder -}}
{{- end -}}

{{- /* The job folder an input reads: the payload (ioFolders[0]) without "from",
       else output "name" of that stage: its ioFolders entry, the publish or log
       folder for an extra output at the stage's publishPath or log folder, or
       "<entry>-<name>" for another of its extraOutputs. Keep in step with
       inputFolder/outputFolder in src/core/mounts.ts. Args: root, wf, input. */}}
{{- define "clara.inputFolder" -}}
{{- $wf := .wf -}}
{{- $inp := .input -}}
{{- $folder := index $wf.ioFolders 0 -}}
{{- if $inp.from -}}
{{- $src := index .root.Values.stages $inp.from -}}
{{- if and $src.extraOutputs (not $inp.name) -}}{{- fail (printf "clara-workflow: workflow %s: an input from %s does not say which of its outputs it reads (add name:); run clara-wf validate" $wf.name $inp.from) -}}{{- end -}}
{{- range $j, $x := $wf.stages -}}{{- if eq $x $inp.from -}}
{{- $folder = index $wf.ioFolders (add $j 1) -}}
{{- range $o := ($src.extraOutputs | default list) -}}{{- if eq $o.name ($inp.name | default "") -}}
{{- if eq (clean $o.path) (clean $src.publishPath) -}}{{- $folder = printf "publish/%s" $x -}}
{{- else if eq (clean $o.path) (dir $src.logName) -}}{{- $folder = "logs" -}}
{{- else -}}{{- $folder = printf "%s-%s" (index $wf.ioFolders (add $j 1)) $o.name -}}{{- end -}}
{{- end -}}{{- end -}}
{{- end -}}{{- end -}}
{{- end -}}
{{- $folder -}}
{{- end -}}

{{- /* engine argo: the WorkflowTemplate of a workflow, named from the release and
       the workflow's name (a DNS-1123 name). Args: root, wf. */}}
{{- /* In run mode the template belongs to the catalog release: argo.catalogRelease,
       else this release's name without its "-<job.id>" suffix (how clara-wf
       names run releases: <catalog release>-<job>). */}}
{{- define "clara.workflowTemplateName" -}}
{{- $root := .root -}}
{{- $base := include "clara.fullname" $root -}}
{{- $catalog := (($root.Values.argo).catalogRelease | default "") | toString -}}
{{- if $catalog -}}
{{- $base = ternary $catalog (printf "%s-%s" $catalog (include "clara.name" $root)) (contains (include "clara.name" $root) $catalog) -}}
{{- else if ($root.Values.job).id -}}
{{- $base = trimSuffix (printf "-%s" ($root.Values.job.id | toString)) $base -}}
{{- end -}}
{{- printf "%s-%s" $base (.wf.name | toString | lower | replace "_" "-" | replace "." "-") | include "clara.dnsName" -}}
{{- end -}}

{{- /* The pod securityContext of every stage pod. With a claim (persistentVolumeClaim,
       volumeClaimTemplate) the defaults meet Pod Security "restricted": a non-root
       numeric user (1000, or podSecurityContext.runAsUser) and fsGroup so the claim
       is writable. A hostPath volume makes a pod "privileged" level whatever its
       securityContext, and kubelet creates hostPath folders as root, so there the
       stage runs as its image's user (see README "Pod Security"). podSecurityContext
       is merged over these. */}}
{{- define "clara.podSecurityContext" -}}
{{- $volType := (.Values.volume | default dict).type | default "hostPath" -}}
{{- $def := dict "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- if ne $volType "hostPath" -}}
{{- $def = mustMergeOverwrite $def (dict "runAsNonRoot" true "runAsUser" 1000 "runAsGroup" 1000 "fsGroup" 1000) -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $def (deepCopy (.Values.podSecurityContext | default dict))) -}}
{{- end -}}
