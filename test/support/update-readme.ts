/** `npm run docs`: rewrite the README's command reference from the CLI's --help. */
import { rewriteReadme } from './readme-help.js';

rewriteReadme();
