/**
 * The kubeconfig of a simulated cluster: cluster "sim", user "sim" (no credentials),
 * context "sim", current.
 */

/** A kubeconfig YAML pointing at `url`. */
export function kubeConfigYaml(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: sim",
    "  cluster:",
    `    server: ${JSON.stringify(url)}`,
    // client-node refuses plain http unless TLS verification is explicitly skipped.
    "    insecure-skip-tls-verify: true",
    "users:",
    "- name: sim",
    "  user: {}",
    "contexts:",
    "- name: sim",
    "  context:",
    "    cluster: sim",
    "    user: sim",
    "    namespace: default",
    "current-context: sim",
    "preferences: {}",
    "",
  ].join("\n");
}
