#include "sim/protobuf_schema.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace ktape::sim::protobuf {
namespace {

using K = FieldKind;
constexpr std::uint8_t R = k_repeated;
constexpr std::uint8_t Z = k_keep_zero;

FieldSchema f(std::uint32_t n, std::string_view json, FieldKind kind, std::uint8_t flags = 0) {
  return FieldSchema{n, json, kind, {}, flags};
}
FieldSchema s(std::uint32_t n, std::string_view json, std::uint8_t flags = 0) {
  return f(n, json, K::string, flags);
}
FieldSchema b(std::uint32_t n, std::string_view json, std::uint8_t flags = 0) {
  return f(n, json, K::boolean, flags);
}
FieldSchema i32(std::uint32_t n, std::string_view json, std::uint8_t flags = 0) {
  return f(n, json, K::int32, flags);
}
FieldSchema i64(std::uint32_t n, std::string_view json, std::uint8_t flags = 0) {
  return f(n, json, K::int64, flags);
}
FieldSchema m(std::uint32_t n, std::string_view json, std::string_view message, std::uint8_t flags = 0) {
  return FieldSchema{n, json, K::message, message, flags};
}
FieldSchema embed(std::uint32_t n, std::string_view message) {
  return FieldSchema{n, {}, K::inline_message, message, 0};
}

constexpr std::string_view k_object_meta = "meta/v1 ObjectMeta";
constexpr std::string_view k_selector = "meta/v1 LabelSelector";
constexpr std::string_view k_local_ref = "v1 LocalObjectReference";
constexpr std::string_view k_pod_template = "v1 PodTemplateSpec";

std::vector<MessageSchema> meta_messages() {
  return {
      {"meta/v1 ObjectMeta",
       {s(1, "name"), s(2, "generateName"), s(3, "namespace"), s(4, "selfLink"), s(5, "uid"),
        s(6, "resourceVersion"), i64(7, "generation"), f(8, "creationTimestamp", K::time),
        f(9, "deletionTimestamp", K::time), i64(10, "deletionGracePeriodSeconds", Z),
        f(11, "labels", K::string_map), f(12, "annotations", K::string_map),
        m(13, "ownerReferences", "meta/v1 OwnerReference", R), s(14, "finalizers", R)}},
      {"meta/v1 OwnerReference",
       {s(5, "apiVersion", Z), s(1, "kind", Z), s(3, "name", Z), s(4, "uid", Z), b(6, "controller", Z),
        b(7, "blockOwnerDeletion", Z)}},
      {"meta/v1 LabelSelector",
       {f(1, "matchLabels", K::string_map), m(2, "matchExpressions", "meta/v1 LabelSelectorRequirement", R)}},
      {"meta/v1 LabelSelectorRequirement", {s(1, "key", Z), s(2, "operator", Z), s(3, "values", R)}},
  };
}

std::vector<MessageSchema> core_object_messages() {
  return {
      {"v1 Namespace",
       {m(1, "metadata", k_object_meta), m(2, "spec", "v1 NamespaceSpec"),
        m(3, "status", "v1 NamespaceStatus")}},
      {"v1 NamespaceSpec", {s(1, "finalizers", R)}},
      {"v1 NamespaceStatus", {s(1, "phase"), m(2, "conditions", "v1 NamespaceCondition", R)}},
      {"v1 NamespaceCondition",
       {s(1, "type", Z), s(2, "status", Z), f(4, "lastTransitionTime", K::time), s(5, "reason"),
        s(6, "message")}},
      {"v1 ConfigMap",
       {m(1, "metadata", k_object_meta), b(4, "immutable", Z), f(2, "data", K::string_map),
        f(3, "binaryData", K::bytes_map)}},
      {"v1 Secret",
       {m(1, "metadata", k_object_meta), b(5, "immutable", Z), f(2, "data", K::bytes_map),
        f(4, "stringData", K::string_map), s(3, "type")}},
      {"v1 ServiceAccount",
       {m(1, "metadata", k_object_meta), m(2, "secrets", "v1 ObjectReference", R),
        m(3, "imagePullSecrets", k_local_ref, R), b(4, "automountServiceAccountToken", Z)}},
      {"v1 ObjectReference",
       {s(1, "kind"), s(2, "namespace"), s(3, "name"), s(4, "uid"), s(5, "apiVersion"),
        s(6, "resourceVersion"), s(7, "fieldPath")}},
      {"v1 LocalObjectReference", {s(1, "name")}},
      {"v1 TypedLocalObjectReference", {s(1, "apiGroup", Z), s(2, "kind", Z), s(3, "name", Z)}},
      {"v1 Service",
       {m(1, "metadata", k_object_meta), m(2, "spec", "v1 ServiceSpec"), m(3, "status", "v1 ServiceStatus")}},
      {"v1 ServiceSpec",
       {m(1, "ports", "v1 ServicePort", R), f(2, "selector", K::string_map), s(3, "clusterIP"),
        s(18, "clusterIPs", R), s(4, "type"), s(5, "externalIPs", R), s(7, "sessionAffinity"),
        s(8, "loadBalancerIP"), s(9, "loadBalancerSourceRanges", R), s(10, "externalName"),
        s(11, "externalTrafficPolicy"), i32(12, "healthCheckNodePort"), b(13, "publishNotReadyAddresses"),
        m(14, "sessionAffinityConfig", "v1 SessionAffinityConfig", Z), s(19, "ipFamilies", R),
        s(17, "ipFamilyPolicy", Z), b(20, "allocateLoadBalancerNodePorts", Z), s(21, "loadBalancerClass", Z),
        s(22, "internalTrafficPolicy", Z)}},
      {"v1 SessionAffinityConfig", {m(1, "clientIP", "v1 ClientIPConfig", Z)}},
      {"v1 ClientIPConfig", {i32(1, "timeoutSeconds", Z)}},
      {"v1 ServicePort",
       {s(1, "name"), s(2, "protocol"), s(6, "appProtocol", Z), i32(3, "port", Z),
        f(4, "targetPort", K::int_or_string), i32(5, "nodePort")}},
      {"v1 ServiceStatus", {m(1, "loadBalancer", "v1 LoadBalancerStatus")}},
      {"v1 LoadBalancerStatus", {m(1, "ingress", "v1 LoadBalancerIngress", R)}},
      {"v1 LoadBalancerIngress", {s(1, "ip"), s(2, "hostname"), m(4, "ports", "v1 PortStatus", R)}},
      {"v1 PortStatus", {i32(1, "port", Z), s(2, "protocol", Z), s(3, "error", Z)}},
      {"v1 ResourceQuota",
       {m(1, "metadata", k_object_meta), m(2, "spec", "v1 ResourceQuotaSpec"),
        m(3, "status", "v1 ResourceQuotaStatus")}},
      {"v1 ResourceQuotaSpec",
       {f(1, "hard", K::quantity_map), s(2, "scopes", R), m(3, "scopeSelector", "v1 ScopeSelector", Z)}},
      {"v1 ResourceQuotaStatus", {f(1, "hard", K::quantity_map), f(2, "used", K::quantity_map)}},
      {"v1 ScopeSelector", {m(1, "matchExpressions", "v1 ScopedResourceSelectorRequirement", R)}},
      {"v1 ScopedResourceSelectorRequirement",
       {s(1, "scopeName", Z), s(2, "operator", Z), s(3, "values", R)}},
      {"v1 Pod", {m(1, "metadata", k_object_meta), m(2, "spec", "v1 PodSpec")}},
  };
}

// A data table (the messages of core/v1 pods), exempt from the function-size limit.
std::vector<MessageSchema> pod_messages() {  // NOLINT(readability-function-size)
  return {
      {"v1 PodTemplateSpec", {m(1, "metadata", k_object_meta), m(2, "spec", "v1 PodSpec")}},
      {"v1 PodSpec",
       {m(1, "volumes", "v1 Volume", R),
        m(20, "initContainers", "v1 Container", R),
        m(2, "containers", "v1 Container", R),
        s(3, "restartPolicy"),
        i64(4, "terminationGracePeriodSeconds", Z),
        i64(5, "activeDeadlineSeconds", Z),
        s(6, "dnsPolicy"),
        f(7, "nodeSelector", K::string_map),
        s(8, "serviceAccountName"),
        s(9, "serviceAccount"),
        b(21, "automountServiceAccountToken", Z),
        s(10, "nodeName"),
        b(11, "hostNetwork"),
        b(12, "hostPID"),
        b(13, "hostIPC"),
        b(27, "shareProcessNamespace", Z),
        m(14, "securityContext", "v1 PodSecurityContext", Z),
        m(15, "imagePullSecrets", k_local_ref, R),
        s(16, "hostname"),
        s(17, "subdomain"),
        s(19, "schedulerName"),
        m(22, "tolerations", "v1 Toleration", R),
        m(23, "hostAliases", "v1 HostAlias", R),
        s(24, "priorityClassName"),
        i32(25, "priority", Z),
        m(28, "readinessGates", "v1 PodReadinessGate", R),
        s(29, "runtimeClassName", Z),
        b(30, "enableServiceLinks", Z),
        s(31, "preemptionPolicy", Z),
        f(32, "overhead", K::quantity_map),
        b(35, "setHostnameAsFQDN", Z)}},
      {"v1 PodSecurityContext",
       {m(1, "seLinuxOptions", "v1 SELinuxOptions", Z), i64(2, "runAsUser", Z), i64(6, "runAsGroup", Z),
        b(3, "runAsNonRoot", Z), i64(4, "supplementalGroups", R), i64(5, "fsGroup", Z),
        m(7, "sysctls", "v1 Sysctl", R), s(9, "fsGroupChangePolicy", Z),
        m(10, "seccompProfile", "v1 SeccompProfile", Z)}},
      {"v1 Sysctl", {s(1, "name", Z), s(2, "value", Z)}},
      {"v1 Toleration",
       {s(1, "key"), s(2, "operator"), s(3, "value"), s(4, "effect"), i64(5, "tolerationSeconds", Z)}},
      {"v1 HostAlias", {s(1, "ip"), s(2, "hostnames", R)}},
      {"v1 PodReadinessGate", {s(1, "conditionType", Z)}},
      {"v1 Container",
       {s(1, "name", Z),
        s(2, "image"),
        s(3, "command", R),
        s(4, "args", R),
        s(5, "workingDir"),
        m(6, "ports", "v1 ContainerPort", R),
        m(19, "envFrom", "v1 EnvFromSource", R),
        m(7, "env", "v1 EnvVar", R),
        m(8, "resources", "v1 ResourceRequirements"),
        m(9, "volumeMounts", "v1 VolumeMount", R),
        m(21, "volumeDevices", "v1 VolumeDevice", R),
        m(10, "livenessProbe", "v1 Probe", Z),
        m(11, "readinessProbe", "v1 Probe", Z),
        m(22, "startupProbe", "v1 Probe", Z),
        m(12, "lifecycle", "v1 Lifecycle", Z),
        s(13, "terminationMessagePath"),
        s(20, "terminationMessagePolicy"),
        s(14, "imagePullPolicy"),
        m(15, "securityContext", "v1 SecurityContext", Z),
        b(16, "stdin"),
        b(17, "stdinOnce"),
        b(18, "tty")}},
      {"v1 ContainerPort",
       {s(1, "name"), i32(2, "hostPort"), i32(3, "containerPort", Z), s(4, "protocol"), s(5, "hostIP")}},
      {"v1 EnvFromSource",
       {s(1, "prefix"), m(2, "configMapRef", "v1 ConfigMapEnvSource", Z),
        m(3, "secretRef", "v1 SecretEnvSource", Z)}},
      {"v1 ConfigMapEnvSource", {embed(1, k_local_ref), b(2, "optional", Z)}},
      {"v1 SecretEnvSource", {embed(1, k_local_ref), b(2, "optional", Z)}},
      {"v1 EnvVar", {s(1, "name", Z), s(2, "value"), m(3, "valueFrom", "v1 EnvVarSource", Z)}},
      {"v1 EnvVarSource",
       {m(1, "fieldRef", "v1 ObjectFieldSelector", Z),
        m(2, "resourceFieldRef", "v1 ResourceFieldSelector", Z),
        m(3, "configMapKeyRef", "v1 ConfigMapKeySelector", Z),
        m(4, "secretKeyRef", "v1 SecretKeySelector", Z)}},
      {"v1 ObjectFieldSelector", {s(1, "apiVersion"), s(2, "fieldPath", Z)}},
      {"v1 ResourceFieldSelector",
       {s(1, "containerName"), s(2, "resource", Z), f(3, "divisor", K::quantity)}},
      {"v1 ConfigMapKeySelector", {embed(1, k_local_ref), s(2, "key", Z), b(3, "optional", Z)}},
      {"v1 SecretKeySelector", {embed(1, k_local_ref), s(2, "key", Z), b(3, "optional", Z)}},
      {"v1 ResourceRequirements", {f(1, "limits", K::quantity_map), f(2, "requests", K::quantity_map)}},
      {"v1 VolumeMount",
       {s(1, "name", Z), b(2, "readOnly"), s(3, "mountPath", Z), s(4, "subPath"), s(5, "mountPropagation", Z),
        s(6, "subPathExpr")}},
      {"v1 VolumeDevice", {s(1, "name", Z), s(2, "devicePath", Z)}},
      {"v1 Probe",
       {embed(1, "v1 ProbeHandler"), i32(2, "initialDelaySeconds"), i32(3, "timeoutSeconds"),
        i32(4, "periodSeconds"), i32(5, "successThreshold"), i32(6, "failureThreshold"),
        i64(7, "terminationGracePeriodSeconds", Z)}},
      // ProbeHandler and LifecycleHandler share these numbers (the older Handler type).
      {"v1 ProbeHandler",
       {m(1, "exec", "v1 ExecAction", Z), m(2, "httpGet", "v1 HTTPGetAction", Z),
        m(3, "tcpSocket", "v1 TCPSocketAction", Z)}},
      {"v1 Lifecycle", {m(1, "postStart", "v1 ProbeHandler", Z), m(2, "preStop", "v1 ProbeHandler", Z)}},
      {"v1 ExecAction", {s(1, "command", R)}},
      {"v1 HTTPGetAction",
       {s(1, "path"), f(2, "port", K::int_or_string), s(3, "host"), s(4, "scheme"),
        m(5, "httpHeaders", "v1 HTTPHeader", R)}},
      {"v1 HTTPHeader", {s(1, "name", Z), s(2, "value", Z)}},
      {"v1 TCPSocketAction", {f(1, "port", K::int_or_string), s(2, "host")}},
      {"v1 SecurityContext",
       {m(1, "capabilities", "v1 Capabilities", Z), b(2, "privileged", Z),
        m(3, "seLinuxOptions", "v1 SELinuxOptions", Z), i64(4, "runAsUser", Z), i64(8, "runAsGroup", Z),
        b(5, "runAsNonRoot", Z), b(6, "readOnlyRootFilesystem", Z), b(7, "allowPrivilegeEscalation", Z),
        s(9, "procMount", Z), m(11, "seccompProfile", "v1 SeccompProfile", Z)}},
      {"v1 Capabilities", {s(1, "add", R), s(2, "drop", R)}},
      {"v1 SELinuxOptions", {s(1, "user"), s(2, "role"), s(3, "type"), s(4, "level")}},
      {"v1 SeccompProfile", {s(1, "type", Z), s(2, "localhostProfile", Z)}},
  };
}

std::vector<MessageSchema> volume_messages() {
  return {
      {"v1 Volume", {s(1, "name", Z), embed(2, "v1 VolumeSource")}},
      // Every source is a pointer: `emptyDir: {}` is a volume.
      {"v1 VolumeSource",
       {m(1, "hostPath", "v1 HostPathVolumeSource", Z), m(2, "emptyDir", "v1 EmptyDirVolumeSource", Z),
        m(6, "secret", "v1 SecretVolumeSource", Z),
        m(10, "persistentVolumeClaim", "v1 PersistentVolumeClaimVolumeSource", Z),
        m(16, "downwardAPI", "v1 DownwardAPIVolumeSource", Z),
        m(19, "configMap", "v1 ConfigMapVolumeSource", Z),
        m(26, "projected", "v1 ProjectedVolumeSource", Z)}},
      {"v1 HostPathVolumeSource", {s(1, "path", Z), s(2, "type", Z)}},
      {"v1 EmptyDirVolumeSource", {s(1, "medium"), f(2, "sizeLimit", K::quantity, Z)}},
      {"v1 SecretVolumeSource",
       {s(1, "secretName"), m(2, "items", "v1 KeyToPath", R), i32(3, "defaultMode", Z), b(4, "optional", Z)}},
      {"v1 KeyToPath", {s(1, "key", Z), s(2, "path", Z), i32(3, "mode", Z)}},
      {"v1 PersistentVolumeClaimVolumeSource", {s(1, "claimName", Z), b(2, "readOnly")}},
      {"v1 DownwardAPIVolumeSource",
       {m(1, "items", "v1 DownwardAPIVolumeFile", R), i32(2, "defaultMode", Z)}},
      {"v1 DownwardAPIVolumeFile",
       {s(1, "path", Z), m(2, "fieldRef", "v1 ObjectFieldSelector", Z),
        m(3, "resourceFieldRef", "v1 ResourceFieldSelector", Z), i32(4, "mode", Z)}},
      {"v1 ConfigMapVolumeSource",
       {embed(1, k_local_ref), m(2, "items", "v1 KeyToPath", R), i32(3, "defaultMode", Z),
        b(4, "optional", Z)}},
      {"v1 ProjectedVolumeSource", {m(1, "sources", "v1 VolumeProjection", R), i32(2, "defaultMode", Z)}},
      {"v1 VolumeProjection",
       {m(1, "secret", "v1 SecretProjection", Z), m(2, "downwardAPI", "v1 DownwardAPIProjection", Z),
        m(3, "configMap", "v1 ConfigMapProjection", Z),
        m(4, "serviceAccountToken", "v1 ServiceAccountTokenProjection", Z)}},
      {"v1 SecretProjection", {embed(1, k_local_ref), m(2, "items", "v1 KeyToPath", R), b(4, "optional", Z)}},
      {"v1 ConfigMapProjection",
       {embed(1, k_local_ref), m(2, "items", "v1 KeyToPath", R), b(4, "optional", Z)}},
      {"v1 DownwardAPIProjection", {m(1, "items", "v1 DownwardAPIVolumeFile", R)}},
      {"v1 ServiceAccountTokenProjection",
       {s(1, "audience"), i64(2, "expirationSeconds", Z), s(3, "path", Z)}},
  };
}

std::vector<MessageSchema> workload_messages() {
  return {
      {"apps/v1 Deployment",
       {m(1, "metadata", k_object_meta), m(2, "spec", "apps/v1 DeploymentSpec"),
        m(3, "status", "apps/v1 DeploymentStatus")}},
      {"apps/v1 DeploymentSpec",
       {i32(1, "replicas", Z), m(2, "selector", k_selector, Z), m(3, "template", k_pod_template),
        m(4, "strategy", "apps/v1 DeploymentStrategy"), i32(5, "minReadySeconds"),
        i32(6, "revisionHistoryLimit", Z), b(7, "paused"), i32(9, "progressDeadlineSeconds", Z)}},
      {"apps/v1 DeploymentStrategy",
       {s(1, "type"), m(2, "rollingUpdate", "apps/v1 RollingUpdateDeployment", Z)}},
      {"apps/v1 RollingUpdateDeployment",
       {f(1, "maxUnavailable", K::int_or_string), f(2, "maxSurge", K::int_or_string)}},
      {"apps/v1 DeploymentStatus",
       {i64(1, "observedGeneration"), i32(2, "replicas"), i32(3, "updatedReplicas"), i32(7, "readyReplicas"),
        i32(4, "availableReplicas"), i32(5, "unavailableReplicas"), i32(8, "collisionCount", Z)}},
      {"batch/v1 Job", {m(1, "metadata", k_object_meta), m(2, "spec", "batch/v1 JobSpec")}},
      {"batch/v1 JobSpec",
       {i32(1, "parallelism", Z), i32(2, "completions", Z), i64(3, "activeDeadlineSeconds", Z),
        i32(7, "backoffLimit", Z), i32(12, "backoffLimitPerIndex", Z), i32(13, "maxFailedIndexes", Z),
        m(4, "selector", k_selector, Z), b(5, "manualSelector", Z), m(6, "template", k_pod_template),
        i32(8, "ttlSecondsAfterFinished", Z), s(9, "completionMode", Z), b(10, "suspend", Z),
        s(14, "podReplacementPolicy", Z), s(15, "managedBy", Z)}},
      {"batch/v1 JobTemplateSpec", {m(1, "metadata", k_object_meta), m(2, "spec", "batch/v1 JobSpec")}},
      {"batch/v1 CronJob", {m(1, "metadata", k_object_meta), m(2, "spec", "batch/v1 CronJobSpec")}},
      {"batch/v1 CronJobSpec",
       {s(1, "schedule", Z), s(8, "timeZone", Z), i64(2, "startingDeadlineSeconds", Z),
        s(3, "concurrencyPolicy"), b(4, "suspend", Z), m(5, "jobTemplate", "batch/v1 JobTemplateSpec"),
        i32(6, "successfulJobsHistoryLimit", Z), i32(7, "failedJobsHistoryLimit", Z)}},
  };
}

std::vector<MessageSchema> rbac_messages() {
  return {
      {"rbac/v1 Role", {m(1, "metadata", k_object_meta), m(2, "rules", "rbac/v1 PolicyRule", R)}},
      {"rbac/v1 ClusterRole",
       {m(1, "metadata", k_object_meta), m(2, "rules", "rbac/v1 PolicyRule", R),
        m(3, "aggregationRule", "rbac/v1 AggregationRule", Z)}},
      {"rbac/v1 AggregationRule", {m(1, "clusterRoleSelectors", k_selector, R)}},
      {"rbac/v1 PolicyRule",
       {s(1, "verbs", R), s(2, "apiGroups", R), s(3, "resources", R), s(4, "resourceNames", R),
        s(5, "nonResourceURLs", R)}},
      {"rbac/v1 RoleBinding",
       {m(1, "metadata", k_object_meta), m(2, "subjects", "rbac/v1 Subject", R),
        m(3, "roleRef", "rbac/v1 RoleRef", Z)}},
      {"rbac/v1 ClusterRoleBinding",
       {m(1, "metadata", k_object_meta), m(2, "subjects", "rbac/v1 Subject", R),
        m(3, "roleRef", "rbac/v1 RoleRef", Z)}},
      {"rbac/v1 RoleRef", {s(1, "apiGroup", Z), s(2, "kind", Z), s(3, "name", Z)}},
      {"rbac/v1 Subject", {s(1, "kind", Z), s(2, "apiGroup"), s(3, "name", Z), s(4, "namespace")}},
  };
}

std::vector<MessageSchema> network_policy_messages() {
  return {
      {"networking/v1 Ingress",
       {m(1, "metadata", k_object_meta), m(2, "spec", "networking/v1 IngressSpec"),
        m(3, "status", "networking/v1 IngressStatus")}},
      {"networking/v1 IngressSpec",
       {s(4, "ingressClassName", Z), m(1, "defaultBackend", "networking/v1 IngressBackend", Z),
        m(2, "tls", "networking/v1 IngressTLS", R), m(3, "rules", "networking/v1 IngressRule", R)}},
      {"networking/v1 IngressBackend",
       {m(4, "service", "networking/v1 IngressServiceBackend", Z),
        m(3, "resource", "v1 TypedLocalObjectReference", Z)}},
      {"networking/v1 IngressServiceBackend",
       {s(1, "name", Z), m(2, "port", "networking/v1 ServiceBackendPort")}},
      {"networking/v1 ServiceBackendPort", {s(1, "name"), i32(2, "number")}},
      {"networking/v1 IngressTLS", {s(1, "hosts", R), s(2, "secretName")}},
      {"networking/v1 IngressRule", {s(1, "host"), embed(2, "networking/v1 IngressRuleValue")}},
      {"networking/v1 IngressRuleValue", {m(1, "http", "networking/v1 HTTPIngressRuleValue", Z)}},
      {"networking/v1 HTTPIngressRuleValue", {m(1, "paths", "networking/v1 HTTPIngressPath", R)}},
      {"networking/v1 HTTPIngressPath",
       {s(1, "path"), s(3, "pathType", Z), m(2, "backend", "networking/v1 IngressBackend")}},
      {"networking/v1 IngressStatus", {m(1, "loadBalancer", "networking/v1 IngressLoadBalancerStatus")}},
      {"networking/v1 IngressLoadBalancerStatus",
       {m(1, "ingress", "networking/v1 IngressLoadBalancerIngress", R)}},
      {"networking/v1 IngressLoadBalancerIngress",
       {s(1, "ip"), s(2, "hostname"), m(4, "ports", "networking/v1 IngressPortStatus", R)}},
      {"networking/v1 IngressPortStatus", {i32(1, "port", Z), s(2, "protocol", Z), s(3, "error", Z)}},
      {"policy/v1 PodDisruptionBudget",
       {m(1, "metadata", k_object_meta), m(2, "spec", "policy/v1 PodDisruptionBudgetSpec")}},
      {"policy/v1 PodDisruptionBudgetSpec",
       {f(1, "minAvailable", K::int_or_string), m(2, "selector", k_selector, Z),
        f(3, "maxUnavailable", K::int_or_string)}},
      // kubectl autoscale; the status (all zeros from kubectl) is the server's, so not listed.
      {"autoscaling/v1 HorizontalPodAutoscaler",
       {m(1, "metadata", k_object_meta), m(2, "spec", "autoscaling/v1 HorizontalPodAutoscalerSpec")}},
      {"autoscaling/v1 HorizontalPodAutoscalerSpec",
       {m(1, "scaleTargetRef", "autoscaling/v1 CrossVersionObjectReference", Z), i32(2, "minReplicas", Z),
        i32(3, "maxReplicas", Z), i32(4, "targetCPUUtilizationPercentage", Z)}},
      {"autoscaling/v1 CrossVersionObjectReference", {s(1, "kind", Z), s(2, "name", Z), s(3, "apiVersion")}},
      // PUT .../scale. replicas is a plain int32 with omitempty, but on the wire 0 means 0.
      {"autoscaling/v1 Scale",
       {m(1, "metadata", k_object_meta), m(2, "spec", "autoscaling/v1 ScaleSpec"),
        m(3, "status", "autoscaling/v1 ScaleStatus")}},
      {"autoscaling/v1 ScaleSpec", {i32(1, "replicas", Z)}},
      {"autoscaling/v1 ScaleStatus", {i32(1, "replicas", Z), s(2, "selector")}},
      {"scheduling/v1 PriorityClass",
       {m(1, "metadata", k_object_meta), i32(2, "value", Z), b(3, "globalDefault"), s(4, "description"),
        s(5, "preemptionPolicy", Z)}},
  };
}

struct Table {
  std::unordered_map<std::string_view, MessageSchema> messages;
  Table() {
    for (auto part : {meta_messages(), core_object_messages(), pod_messages(), volume_messages(),
                      workload_messages(), rbac_messages(), network_policy_messages()})
      for (auto& message : part) {
        std::string_view name = message.name;
        messages.emplace(name, std::move(message));
      }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

// apiVersion/kind -> message; the group's short name in the message names is the part of the
// API group before its first dot ("rbac.authorization.k8s.io/v1" -> "rbac/v1").
std::string message_name(std::string_view api_version, std::string_view kind) {
  std::string_view group, version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  std::string name;
  if (!group.empty()) name = std::string(group.substr(0, group.find('.'))) + "/";
  return name + std::string(version) + " " + std::string(kind);
}

}  // namespace

const FieldSchema* MessageSchema::field(std::uint32_t number) const {
  auto it =
      std::find_if(fields.begin(), fields.end(), [&](const FieldSchema& f) { return f.number == number; });
  return it == fields.end() ? nullptr : &*it;
}

const MessageSchema* find_message(std::string_view name) {
  auto it = table().messages.find(name);
  return it == table().messages.end() ? nullptr : &it->second;
}

const MessageSchema* find_kind(std::string_view api_version, std::string_view kind) {
  // The kinds kubectl's typed generators create (and Pod for `kubectl run`, HorizontalPodAutoscaler
  // for `kubectl autoscale`), and the Scale of PUT .../scale.
  static const std::vector<std::pair<std::string_view, std::string_view>> k_kinds = {
      {"v1", "Namespace"},
      {"v1", "ConfigMap"},
      {"v1", "Secret"},
      {"v1", "ServiceAccount"},
      {"v1", "Service"},
      {"v1", "ResourceQuota"},
      {"v1", "Pod"},
      {"apps/v1", "Deployment"},
      {"batch/v1", "Job"},
      {"batch/v1", "CronJob"},
      {"rbac.authorization.k8s.io/v1", "Role"},
      {"rbac.authorization.k8s.io/v1", "ClusterRole"},
      {"rbac.authorization.k8s.io/v1", "RoleBinding"},
      {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
      {"networking.k8s.io/v1", "Ingress"},
      {"policy/v1", "PodDisruptionBudget"},
      {"scheduling.k8s.io/v1", "PriorityClass"},
      {"autoscaling/v1", "HorizontalPodAutoscaler"},
      {"autoscaling/v1", "Scale"},
  };
  for (const auto& [v, k] : k_kinds)
    if (v == api_version && k == kind) return find_message(message_name(api_version, kind));
  return nullptr;
}

}  // namespace ktape::sim::protobuf
