import { defineConfig } from 'prisma/config'

// Only `prisma generate` is used (see scripts/prisma-generate.mjs); migrations are plain SQL
// applied by the service itself (src/db/migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
})
