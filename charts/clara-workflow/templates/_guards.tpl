{{/* Cross-field rules JSON Schema cannot express, so that `helm template` and
     `helm install` with hand-edited values fail loudly too. clara-wf checks the
     same rules (and more) with line numbers: run `clara-wf validate`. */}}
{{- define "clara.guards" -}}
{{- $stages := .Values.stages | default dict -}}
{{- $names := dict -}}
{{- $objects := dict -}}
{{- $vol := .Values.volume | default dict -}}
{{- $volType := $vol.type | default "hostPath" -}}
{{- $engine := .Values.engine | default "jobs" -}}
{{- if and (eq $engine "jobs") (eq $volType "volumeClaimTemplate") -}}
{{- fail "clara-workflow: volume.type volumeClaimTemplate needs engine argo (Argo creates a claim per run); with engine jobs use persistentVolumeClaim (a ReadWriteMany claim) or hostPath" -}}
{{- end -}}
{{- $pin := true -}}
{{- if hasKey $vol "pinToNode" -}}{{- $pin = $vol.pinToNode -}}{{- end -}}
{{- if and (eq $engine "argo") (eq $volType "hostPath") $pin (not $vol.nodeSelector) -}}
{{- fail "clara-workflow: engine argo with a hostPath volume needs volume.nodeSelector (e.g. kubernetes.io/hostname: <node>): Argo runs a workflow's stages one after another and pod affinity cannot keep them on the node that holds the folder; or use a persistentVolumeClaim / volumeClaimTemplate" -}}
{{- end -}}
{{- range $name, $stage := $stages -}}
{{- if ne ($stage.stageName | toString) $name -}}
{{- fail (printf "clara-workflow: stage %s: stageName %q must equal the stage key" $name ($stage.stageName | toString)) -}}
{{- end -}}
{{- if ne ($stage.lockName | toString) (printf "%s.lock" $name) -}}
{{- fail (printf "clara-workflow: stage %s: lockName %q must be %q" $name ($stage.lockName | toString) (printf "%s.lock" $name)) -}}
{{- end -}}
{{- /* Each output its own name and folder. */ -}}
{{- $dir := trimSuffix "/" ($stage.appDir | toString) -}}
{{- $taken := dict (($stage.mount).out).name "main" (printf "%s/%s" $dir ($stage.outputs | toString)) "main" (printf "%s/%s" $dir ($stage.inputs | toString)) "input" -}}
{{- range $o := ($stage.extraOutputs | default list) -}}
{{- if or (hasKey $taken ($o.name | toString)) (hasKey $taken ($o.path | toString)) -}}
{{- fail (printf "clara-workflow: stage %s: extraOutputs %q (%s) reuses the name or folder of another of its outputs or its input" $name ($o.name | toString) ($o.path | toString)) -}}
{{- end -}}
{{- $_ := set $taken ($o.name | toString) "extra" -}}
{{- $_ := set $taken ($o.path | toString) "extra" -}}
{{- end -}}
{{- end -}}
{{- range $id, $wf := .Values.workflows | default dict -}}
{{- $where := printf "clara-workflow: workflow %s (%s)" ($wf.name | toString) $id -}}
{{- if hasKey $names ($wf.name | toString) -}}
{{- fail (printf "%s: the name is also used by workflow %s" $where (get $names ($wf.name | toString))) -}}
{{- end -}}
{{- $_ := set $names ($wf.name | toString) $id -}}
{{- /* One object name per workflow: the WorkflowTemplate name lowercases the workflow name and writes "_" and "." as "-". */ -}}
{{- $objectName := $wf.name | toString | lower | replace "_" "-" | replace "." "-" -}}
{{- if hasKey $objects $objectName -}}
{{- fail (printf "%s: its name and that of workflow %s both become the object name %q; rename one (clara-wf validate reports it)" $where (get $objects $objectName) $objectName) -}}
{{- end -}}
{{- $_ := set $objects $objectName ($wf.name | toString) -}}
{{- $n := len $wf.stages -}}
{{- if ne (len $wf.waitLocks) $n -}}{{- fail (printf "%s: waitLocks has %d entries, stages has %d" $where (len $wf.waitLocks) $n) -}}{{- end -}}
{{- if ne (len $wf.args) $n -}}{{- fail (printf "%s: args has %d entries, stages has %d" $where (len $wf.args) $n) -}}{{- end -}}
{{- if ne (len $wf.ioFolders) (add $n 1) -}}{{- fail (printf "%s: ioFolders has %d entries, it needs %d (one more than stages)" $where (len $wf.ioFolders) (add $n 1)) -}}{{- end -}}
{{- $seen := dict -}}
{{- range $i, $s := $wf.stages -}}
{{- if not (hasKey $stages $s) -}}{{- fail (printf "%s: stage %q is not defined under stages" $where $s) -}}{{- end -}}
{{- if hasKey $seen $s -}}{{- fail (printf "%s: stage %q appears twice" $where $s) -}}{{- end -}}
{{- $lock := index $wf.waitLocks $i -}}
{{- if $lock -}}
{{- $ok := false -}}
{{- range $j, $earlier := $wf.stages -}}
{{- if and (lt $j $i) (eq (index $stages $earlier).lockName $lock) -}}{{- $ok = true -}}{{- end -}}
{{- end -}}
{{- if not $ok -}}{{- fail (printf "%s: stage %q waits on %q, which is not the lock of a stage that runs before it" $where $s $lock) -}}{{- end -}}
{{- end -}}
{{- $_ := set $seen $s true -}}
{{- end -}}
{{- if $wf.inputs -}}
{{- if ne (len $wf.inputs) $n -}}{{- fail (printf "%s: inputs has %d entries, stages has %d" $where (len $wf.inputs) $n) -}}{{- end -}}
{{- range $i, $entry := $wf.inputs -}}
{{- if kindIs "slice" $entry -}}
{{- range $inp := $entry -}}
{{- /* No "from": the job's payload, which every stage may read. */ -}}
{{- $ok := not $inp.from -}}
{{- range $j, $earlier := $wf.stages -}}{{- if and (lt $j $i) (eq $earlier $inp.from) -}}{{- $ok = true -}}{{- end -}}{{- end -}}
{{- if not $ok -}}{{- fail (printf "%s: stage %q has an input from %q, which is not a stage that runs before it" $where (index $wf.stages $i) ($inp.from | toString)) -}}{{- end -}}
{{- if and $inp.from $inp.name -}}
{{- $src := index $stages $inp.from -}}
{{- $outs := list (($src.mount).out).name -}}
{{- range $o := ($src.extraOutputs | default list) -}}{{- $outs = append $outs $o.name -}}{{- end -}}
{{- if not (has $inp.name $outs) -}}{{- fail (printf "%s: stage %q reads output %q of %q, which has no such output (%s)" $where (index $wf.stages $i) ($inp.name | toString) ($inp.from | toString) (join ", " $outs)) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $f := $wf.ioFolders -}}
{{- if or (not (regexMatch "^[^/\\s\\\\]+(/[^/\\s\\\\]+)*$" $f)) (regexMatch "(^|/)\\.{1,2}(/|$)" $f) -}}
{{- fail (printf "%s: ioFolders entry %q must be a relative path without whitespace, '..', '.' or empty segments" $where $f) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if (.Values.job).workflow -}}
{{- if not (include "clara.jobWorkflowId" .) -}}
{{- fail (printf "clara-workflow: job.workflow %q names no workflow in values (use its UUID or name)" (.Values.job.workflow | toString)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$" ((.Values.job).id | toString)) -}}
{{- fail (printf "clara-workflow: job.id %q must be a lowercase UUID or DNS label of at most 40 characters (set it with job.workflow)" ((.Values.job).id | toString)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
