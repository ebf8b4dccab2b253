{{- /* A stage's container after its name: image, command, args, env,
       resources and mounts, the same for a Job (jobs.yaml) and an Argo
       template (argo.yaml). Args: root, wf, wfId, index, job (the job ID, or
       Argo's "{{workflow.parameters.job}}"), argo (Argo orders the stages, so
       NVIDIA_CLARA_WAIT_LOCK is empty: a Clara driver must not wait for a lock
       an upstream image that is not a driver never writes). */}}
{{- define "clara.stageContainer" -}}
{{- $ := .root -}}
{{- $wf := .wf -}}
{{- $wfId := .wfId -}}
{{- $i := .index -}}
{{- $job := .job -}}
{{- $s := index $wf.stages $i -}}
{{- $st := index $.Values.stages $s -}}
{{- $lock := index $wf.waitLocks $i -}}
{{- $args := index $wf.args $i -}}
{{- $inputs := list -}}
{{- if $wf.inputs }}{{- $entry := index $wf.inputs $i }}{{- if kindIs "slice" $entry }}{{- $inputs = $entry }}{{- end }}{{- end -}}
image: {{ printf "%s:%s" $st.image.repository ($st.image.tag | toString) | quote }}
{{- with $st.imagePullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- with $st.command }}
command: {{ toJson . }}
{{- end }}
{{- if and (kindIs "slice" $args) $args }}
args: {{ toJson $args }}
{{- end }}
env:
  - name: NVIDIA_CLARA_INPUT
    value: {{ printf "%s/%s" (trimSuffix "/" $st.appDir) $st.inputs | quote }}
  - name: NVIDIA_CLARA_OUTPUT
    value: {{ printf "%s/%s" (trimSuffix "/" $st.appDir) $st.outputs | quote }}
  - name: NVIDIA_CLARA_LOGS
    value: {{ dir $st.logName | quote }}
  - name: NVIDIA_CLARA_PUBLISHING
    value: {{ $st.publishPath | quote }}
  - name: NVIDIA_CLARA_LOCK
    value: {{ printf "%s/%s" $st.lockDir $st.lockName | quote }}
  - name: NVIDIA_CLARA_WAIT_LOCK
    value: {{ ternary (printf "%s/%s" $st.lockDir $lock) "" (and (ne $lock "") (not .argo)) | quote }}
  - name: NVIDIA_CLARA_INPUT_LOCK
    value: {{ $st.inputLock | quote }}
  - name: CLARA_JOB_ID
    value: {{ $job | quote }}
  - name: CLARA_WORKFLOW_ID
    value: {{ $wfId | quote }}
  - name: CLARA_STAGE
    value: {{ $s | quote }}
  {{- range $k, $v := $st.env }}
  - name: {{ $k }}
    value: {{ $v | toString | quote }}
  {{- end }}
{{- /* Requests always (a chart default where the stage names none), so pods
       are never BestEffort; limits for memory and GPUs the stage asks for. */}}
{{- $res := $st.resources | default dict }}
{{- $def := $.Values.defaultRequests | default dict }}
resources:
  requests:
    cpu: {{ $res.cpu | default ($def.cpu | default "100m") | toString | quote }}
    memory: {{ $res.memory | default ($def.memory | default "128Mi") | toString | quote }}
  {{- if or $res.memory $res.gpu }}
  limits:
    {{- with $res.memory }}
    memory: {{ . | toString | quote }}
    {{- end }}
    {{- with $res.gpu }}
    nvidia.com/gpu: {{ . }}
    {{- end }}
  {{- end }}
{{- /* No privilege escalation, no capabilities; a stage may override any field (runAsNonRoot where its image allows). */}}
securityContext:
  {{- $sc := mustMergeOverwrite (dict "allowPrivilegeEscalation" false "capabilities" (dict "drop" (list "ALL"))) (deepCopy ($.Values.containerSecurityContext | default dict)) (deepCopy ($st.securityContext | default dict)) }}
  {{- toYaml $sc | nindent 2 }}
volumeMounts:
  - name: clara-io
    mountPath: {{ printf "%s/%s" (trimSuffix "/" $st.appDir) $st.inputs | quote }}
    subPath: {{ printf "%s/%s" $job (include "clara.stageInput" (dict "root" $ "wf" $wf "index" $i)) | quote }}
  - name: clara-io
    mountPath: {{ printf "%s/%s" (trimSuffix "/" $st.appDir) $st.outputs | quote }}
    subPath: {{ printf "%s/%s" $job (index $wf.ioFolders (add $i 1)) | quote }}
  {{- /* Further named outputs, each its own folder: <output folder>-<name>. */}}
  {{- range $o := ($st.extraOutputs | default list) }}
  - name: clara-io
    mountPath: {{ $o.path | quote }}
    subPath: {{ printf "%s/%s-%s" $job (index $wf.ioFolders (add $i 1)) $o.name | quote }}
  {{- end }}
  - name: clara-io
    mountPath: {{ $st.lockDir | quote }}
    subPath: {{ printf "%s/locks" $job | quote }}
  - name: clara-io
    mountPath: {{ dir $st.logName | quote }}
    subPath: {{ printf "%s/logs" $job | quote }}
  - name: clara-io
    mountPath: {{ $st.publishPath | quote }}
    subPath: {{ printf "%s/publish/%s" $job $s | quote }}
  {{- range $inp := $inputs }}
  {{- if ne $inp.path (printf "%s/%s" (trimSuffix "/" $st.appDir) $st.inputs) }}
  - name: clara-io
    mountPath: {{ $inp.path | quote }}
    subPath: {{ printf "%s/%s" $job (include "clara.inputFolder" (dict "root" $ "wf" $wf "input" $inp)) | quote }}
    readOnly: true
  {{- end }}
  {{- end }}
{{- end -}}
