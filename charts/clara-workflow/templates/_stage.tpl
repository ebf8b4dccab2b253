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
{{- /* Mounts as src/core/mounts.ts computes them (test/mounts.test.ts holds the two equal). */ -}}
{{- $inputs := list -}}
{{- $listed := false -}}
{{- if $wf.inputs }}{{- $entry := index $wf.inputs $i }}{{- if kindIs "slice" $entry }}{{- $inputs = $entry }}{{- $listed = true }}{{- end }}{{- end -}}
{{- $mainIn := printf "%s/%s" (trimSuffix "/" $st.appDir) $st.inputs -}}
{{- $atMain := list -}}
{{- $others := list -}}
{{- range $inp := $inputs }}{{- if eq (clean $inp.path) (clean $mainIn) }}{{- $atMain = append $atMain $inp }}{{- else }}{{- $others = append $others $inp }}{{- end }}{{- end -}}
{{- $primary := $mainIn -}}
{{- if and $listed (not $atMain) $others }}{{- $primary = trimSuffix "/" (first $others).path }}{{- end -}}
{{- $publish := clean $st.publishPath -}}
{{- $logDir := dir $st.logName -}}
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
    value: {{ $primary | quote }}
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
{{- /* Each path once: the API server refuses a container with two mounts at one path (ValidateVolumeMounts), and so does Docker. */}}
{{- $seen := dict }}
volumeMounts:
  {{- if not $listed }}
  - name: clara-io
    mountPath: {{ $mainIn | quote }}
    subPath: {{ printf "%s/%s" $job (index $wf.ioFolders $i) | quote }}
  {{- $_ := set $seen (clean $mainIn) "its input folder" }}
  {{- end }}
  {{- range $inp := $atMain }}
  {{- if hasKey $seen (clean $mainIn) }}{{- fail (printf "clara-workflow: workflow %s stage %s: two inputs are mounted at %s; run clara-wf validate" $wf.name $s $mainIn) }}{{- end }}
  {{- $_ := set $seen (clean $mainIn) "an input" }}
  - name: clara-io
    mountPath: {{ $mainIn | quote }}
    subPath: {{ printf "%s/%s" $job (include "clara.inputFolder" (dict "root" $ "wf" $wf "input" $inp)) | quote }}
    readOnly: true
  {{- end }}
  {{- $outPath := printf "%s/%s" (trimSuffix "/" $st.appDir) $st.outputs }}
  {{- if hasKey $seen (clean $outPath) }}{{- fail (printf "clara-workflow: stage %s: its output folder %s is also %s; run clara-wf validate" $s $outPath (get $seen (clean $outPath))) }}{{- end }}
  {{- $_ := set $seen (clean $outPath) "its output folder" }}
  - name: clara-io
    mountPath: {{ $outPath | quote }}
    subPath: {{ printf "%s/%s" $job (index $wf.ioFolders (add $i 1)) | quote }}
  {{- /* Further named outputs, each its own folder (<output folder>-<name>); one at the publish or log folder is that folder. */}}
  {{- range $o := ($st.extraOutputs | default list) }}
  {{- if and (ne (clean $o.path) $publish) (ne (clean $o.path) $logDir) }}
  {{- if hasKey $seen (clean $o.path) }}{{- fail (printf "clara-workflow: stage %s: output %s at %s is also %s; run clara-wf validate" $s $o.name $o.path (get $seen (clean $o.path))) }}{{- end }}
  {{- $_ := set $seen (clean $o.path) (printf "output %s" $o.name) }}
  - name: clara-io
    mountPath: {{ $o.path | quote }}
    subPath: {{ printf "%s/%s-%s" $job (index $wf.ioFolders (add $i 1)) $o.name | quote }}
  {{- end }}
  {{- end }}
  {{- range $own := list (list $st.lockDir "locks" "the lock folder (lockDir)") (list $logDir "logs" "the log folder (logName)") (list $st.publishPath (printf "publish/%s" $s) "the publish folder (publishPath)") }}
  {{- $p := index $own 0 }}
  {{- if hasKey $seen (clean $p) }}{{- fail (printf "clara-workflow: stage %s: %s %s is also %s; run clara-wf validate" $s (index $own 2) $p (get $seen (clean $p))) }}{{- end }}
  {{- $_ := set $seen (clean $p) (index $own 2) }}
  - name: clara-io
    mountPath: {{ $p | quote }}
    subPath: {{ printf "%s/%s" $job (index $own 1) | quote }}
  {{- end }}
  {{- range $inp := $others }}
  {{- $p := trimSuffix "/" $inp.path }}
  {{- if hasKey $seen (clean $p) }}{{- fail (printf "clara-workflow: workflow %s stage %s: the input at %s is also %s; run clara-wf validate" $wf.name $s $p (get $seen (clean $p))) }}{{- end }}
  {{- $_ := set $seen (clean $p) "an input" }}
  - name: clara-io
    mountPath: {{ $p | quote }}
    subPath: {{ printf "%s/%s" $job (include "clara.inputFolder" (dict "root" $ "wf" $wf "input" $inp)) | quote }}
    readOnly: true
  {{- end }}
{{- end -}}
