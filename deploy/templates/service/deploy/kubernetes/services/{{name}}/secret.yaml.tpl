# PLACEHOLDERS. Replace before applying, or better, delete this file from the overlay and let your
# secret manager (External Secrets, Sealed Secrets, Vault, …) create Secrets with these names.
apiVersion: v1
kind: Secret
metadata:
  name: service-db # becomes {{name}}-service-db
type: Opaque
stringData:
  # {{name}}'s own login; the migration creates it with this password and keeps it in sync.
  DATABASE_URL: postgres://{{schema}}_service:CHANGE_ME@postgres.example.internal:5432/parley?sslmode=require
---
apiVersion: v1
kind: Secret
metadata:
  name: service-db-admin # becomes {{name}}-service-db-admin; mounted by the migration Job only
type: Opaque
stringData:
  DATABASE_ADMIN_URL: postgres://parley_admin:CHANGE_ME@postgres.example.internal:5432/parley?sslmode=require
