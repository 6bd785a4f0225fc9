{
  "name": "@parley/{{name}}",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "description": "Parley {{name}} service",
  "scripts": {
    "build": "swc src -d dist --strip-leading-paths --config-file ../../.swcrc --ignore '**/*.spec.ts'",
    "start": "node dist/main.js",
    "migrate": "node dist/migrate.js"
  },
  "nx": {
    "tags": [
      "type:service",
      "scope:{{name}}"
    ]
  }
}
