# {{name}}: the service template named, labelled and configured for services/{{name}}.
# Service-specific settings go into the configMapGenerator below (plain) or secret.yaml (sensitive).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: {{name}}-
labels:
  - pairs:
      app.kubernetes.io/name: {{name}}
    includeSelectors: true
resources:
  - ../../base
  - secret.yaml
images:
  - name: parley-service
    newName: registry.example.com/parley/{{name}}
    newTag: '0.1.0'
configMapGenerator:
  - name: service-config
    behavior: merge
    literals:
      - SERVICE={{name}}
