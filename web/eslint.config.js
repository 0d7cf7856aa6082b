// ESLint finds the config nearest to each file: web/ lints with the project's rules, and skips
// the bundle esbuild writes to web/dist/.
import root from '../eslint.config.js'

export default [{ ignores: ['dist/'] }, ...root]
