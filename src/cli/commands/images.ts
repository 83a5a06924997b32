/** `krel images build|push|pull|cleanup`: runenv container images (OCI), built reproducibly and pushed. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { ImagesFlags } from './images-run.js';

const STORE = [
  '--images-store <oci:path>',
  'local image store, an OCI image layout (default: .krel-images beside krel.json)',
] as const;
const PLAIN = ['--plain-http', 'talk to the registry over http (a local registry without TLS)'] as const;
const COMMIT = ['--commit <sha>', 'commit SHA (default: GITHUB_SHA, BUILD_SOURCEVERSION, git HEAD)'] as const;

function sub(name: string, description: string): Command {
  return new Command(name).description(description).exitOverride();
}

async function run(
  which: 'build' | 'push' | 'pull' | 'cleanup',
  cmd: Command,
  args: string[],
  flags: ImagesFlags,
): Promise<void> {
  const ctx = commandIo(cmd);
  if (which === 'build' || which === 'pull') {
    const m = await import('./images-run.js');
    if (which === 'build') await m.runImagesBuild(ctx, args, flags);
    else await m.runImagesPull(ctx, args[0]!, flags);
    return;
  }
  const m = await import('./images-registry-run.js');
  if (which === 'push') await m.runImagesPush(ctx, args, flags);
  else await m.runImagesCleanup(ctx, flags);
}

export function imagesCommand(): Command {
  const images = new Command('images')
    .description('build runenv container images and push, pull or clean them up in a registry')
    .addHelpText(
      'after',
      `
Images are krel.json "images", built in order into the local store (an OCI image layout) as
kontain/NAME[-PLATFORM]:VERSION (no platform: no suffix). REG is HOST[:PORT]/NAMESPACE (e.g.
docker.io/kontainapp) or oci:PATH. push sends each image as REPO:latest and REPO:<commit> (or only --tag T)
to its repository and every alias, mounting blobs instead of sending them twice; cleanup re-points T at a
throwaway manifest and deletes only that, so other tags of the image stay. Nothing local carries a
registry name: pull stores REF as kontain/<last part of REPO>:<tag> (or --as).
Credentials: KREL_REGISTRY_USER/KREL_REGISTRY_PASSWORD, else REGISTRY_AUTH_FILE, else
~/.docker/config.json. --dry-run prints the plan, --json emits it (or the result).

Exit codes: 0 done (or planned); 2 bad krel.json, name, tag or missing payload; 3 refused: registry
unreachable, credentials refused, unsafe payload; 4 failed part-way (the message says how far).`,
    );
  images.addCommand(
    sub('build', 'build the images of krel.json, in order, into the local image store')
      .argument('[names...]', 'images to build (default: all)')
      .option(...STORE)
      .option(...COMMIT)
      .option('--rebuild', 'build even when the store already holds the image')
      .option(...PLAIN)
      .action((names: string[], flags: ImagesFlags, cmd: Command) => run('build', cmd, names, flags)),
  );
  images.addCommand(
    sub('push', 'push images as latest and the commit SHA, to each repository and alias')
      .argument('[names...]', 'images to push (default: all)')
      .requiredOption('--registry <reg>', 'HOST[:PORT]/NAMESPACE or oci:PATH')
      .option('--tag <tag>', 'push only this tag (e.g. CI-1234) instead of latest and the SHA')
      .option(...COMMIT)
      .option(...STORE)
      .option(...PLAIN)
      .action((names: string[], flags: ImagesFlags, cmd: Command) => run('push', cmd, names, flags)),
  );
  images.addCommand(
    sub('pull', 'pull an image into the local store under its kontain/ name')
      .argument('<ref>', 'HOST[:PORT]/REPO[:TAG] or oci:PATH:REPO[:TAG]')
      .option('--as <name>', 'local name kontain/NAME:VERSION (default: kontain/ + last part of REPO + tag)')
      .option(...STORE)
      .option(...PLAIN)
      .action((ref: string, flags: ImagesFlags, cmd: Command) => run('pull', cmd, [ref], flags)),
  );
  images.addCommand(
    sub('cleanup', 'remove a tag (e.g. CI-<BuildId>) from every image repository')
      .requiredOption('--registry <reg>', 'HOST[:PORT]/NAMESPACE or oci:PATH')
      .requiredOption('--tag <tag>', 'the tag to remove')
      .option('--repos <names>', 'more repositories, comma-separated')
      .option(...PLAIN)
      .action((flags: ImagesFlags, cmd: Command) => run('cleanup', cmd, [], flags)),
  );
  return images;
}
