{{- define "mcp-stack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mcp-stack.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mcp-stack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-stack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mcp-stack.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mcp-stack.selectorLabels" . }}
app.kubernetes.io/version: {{ include "mcp-stack.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "mcp-stack.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "mcp-stack.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "mcp-stack.imageTag" .) -}}
{{- end -}}

{{- define "mcp-stack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mcp-stack.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the token: the user's, or the one the chart creates. */}}
{{- define "mcp-stack.authSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "mcp-stack.fullname" .)) -}}
{{- end -}}
{{- define "mcp-stack.authSecretKey" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecretKey }}{{- else -}}mcp_auth_token{{- end -}}
{{- end -}}

{{- define "mcp-stack.llmUsesKey" -}}
{{- if has (.Values.env.LLM_PROVIDER | default "ollama") (list "openai" "anthropic") -}}true{{- end -}}
{{- end -}}
{{- define "mcp-stack.llmSecretName" -}}
{{- .Values.llm.existingSecret | default (printf "%s-llm" (include "mcp-stack.fullname" .)) -}}
{{- end -}}
{{- define "mcp-stack.llmSecretKey" -}}
{{- if .Values.llm.existingSecret -}}{{ .Values.llm.existingSecretKey }}{{- else -}}llm_api_key{{- end -}}
{{- end -}}
{{/* The key file variable of the chosen hosted provider (OPENAI_API_KEY_FILE or ANTHROPIC_API_KEY_FILE). */}}
{{- define "mcp-stack.llmKeyFileVar" -}}
{{- printf "%s_API_KEY_FILE" (upper .Values.env.LLM_PROVIDER) -}}
{{- end -}}

{{/* The service's drain time: SHUTDOWN_GRACE_SECONDS, or the service default (checked against the service
     config by `make lint`, scripts/k8s/check-chart.ts). */}}
{{- define "mcp-stack.shutdownGraceSeconds" -}}
{{- .Values.env.SHUTDOWN_GRACE_SECONDS | default "20" | int -}}
{{- end -}}

{{/* Host names the service accepts (DNS-rebinding protection): its Service names, ingress hosts, localhost. */}}
{{- define "mcp-stack.allowedHosts" -}}
{{- if .Values.env.MCP_ALLOWED_HOSTS -}}
{{- .Values.env.MCP_ALLOWED_HOSTS -}}
{{- else -}}
{{- $svc := include "mcp-stack.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $hosts := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- if .Values.ingress.enabled -}}{{- $hosts = concat $hosts .Values.ingress.hosts -}}{{- end -}}
{{- if .Values.traefik.ingressRoute.enabled -}}{{- $hosts = concat $hosts .Values.traefik.ingressRoute.hosts -}}{{- end -}}
{{- $hosts = concat $hosts (list "localhost" "127.0.0.1" "[::1]") -}}
{{- join "," (uniq $hosts) -}}
{{- end -}}
{{- end -}}
