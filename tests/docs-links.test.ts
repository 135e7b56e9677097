import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The documentation is read on GitHub and in editors, where a link is only as good as the file
 * it points to. Every Markdown file git knows about (tracked, or new and not ignored) is read;
 * its relative links must resolve inside the repository, and none may point at a path that
 * only exists on the machine the docs were written on, or at the outside ZERO-DOWNTIME.md the
 * docs once referred to (docs/zero-downtime.md replaces it).
 */
const root = path.resolve(__dirname, '..');

interface Link {
  /** The Markdown file, relative to the repository root. */
  file: string;
  line: number;
  target: string;
}

function markdownFiles(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.md'],
    { cwd: root, encoding: 'utf8' },
  );
  const files = new Set(listed.split('\0').filter(Boolean));
  // A file deleted in the working tree but not yet in the index is no documentation.
  return [...files].filter((file) => fs.existsSync(path.join(root, file))).sort();
}

/**
 * The text with fenced code blocks blanked and inline code spans neutralised, line breaks
 * kept, so that what looks like a link inside code is not taken for one and line numbers stay
 * right.
 */
function proseOf(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence) {
        if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
        return '';
      }
      if (marker) {
        fence = marker;
        return '';
      }
      return line.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, (span) => 'c'.repeat(span.length));
    })
    .join('\n');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

const INLINE_LINK =
  /!?\[((?:[^[\]]|\[[^[\]]*\])*)\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm;

function linksOf(file: string): Link[] {
  const prose = proseOf(fs.readFileSync(path.join(root, file), 'utf8'));
  const links: Link[] = [];
  for (const pattern of [INLINE_LINK, REFERENCE_DEFINITION]) {
    for (const match of prose.matchAll(pattern)) {
      const raw = match[pattern === INLINE_LINK ? 2 : 1];
      const target = raw.startsWith('<') ? raw.slice(1, -1) : raw;
      links.push({ file, line: lineAt(prose, match.index ?? 0), target });
    }
  }
  return links;
}

/** http:, https:, mailto: and any other scheme: not a file of this repository. */
const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

function splitTarget(target: string): { file: string; fragment: string | undefined } {
  const hash = target.indexOf('#');
  const file = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? undefined : target.slice(hash + 1);
  return { file: decodeURIComponent(file.split('?')[0]), fragment };
}

const where = (link: Link): string => `${link.file}:${link.line}: ${link.target}`;

/** GitHub's heading ids: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function headingIds(file: string): Set<string> {
  const prose = proseOf(fs.readFileSync(path.join(root, file), 'utf8'));
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose.matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = match[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .trim();
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of prose.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) ids.add(match[1]);
  return ids;
}

describe('the Markdown documentation', () => {
  const files = markdownFiles();
  const links = files.flatMap(linksOf);
  const local = links.filter((link) => !isExternal(link.target));

  it('is found through git', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/zero-downtime.md');
  });

  it('links only to files and folders that exist, relative to the linking file', () => {
    const broken = local
      .filter((link) => !link.target.startsWith('#'))
      .filter((link) => {
        const { file } = splitTarget(link.target);
        const resolved = path.resolve(root, path.dirname(link.file), file);
        const inside = !path.relative(root, resolved).startsWith('..');
        return link.target.startsWith('/') || !inside || !fs.existsSync(resolved);
      })
      .map(where);
    expect(broken).toEqual([]);
  });

  it('links to headings that exist in the Markdown file they point to', () => {
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string) => {
      if (!ids.has(file)) ids.set(file, headingIds(file));
      return ids.get(file) as Set<string>;
    };
    const broken = local
      .filter((link) => {
        const { file, fragment } = splitTarget(link.target);
        if (!fragment) return false;
        const target = file
          ? path.relative(root, path.resolve(root, path.dirname(link.file), file))
          : link.file;
        if (!target.endsWith('.md') || !fs.existsSync(path.join(root, target))) return false;
        return !idsOf(target).has(decodeURIComponent(fragment).toLowerCase());
      })
      .map(where);
    expect(broken).toEqual([]);
  });

  it('names no path of the machine it was written on and no outside ZERO-DOWNTIME.md', () => {
    const offending: string[] = links
      .filter((link) => /^\/|\/(work|root|tmp)\//.test(link.target) && !isExternal(link.target))
      .map((link) => `${where(link)} (absolute link)`);
    for (const file of files) {
      const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
      lines.forEach((text, index) => {
        for (const [pattern, what] of [
          [/(^|[\s`'"(=])\/(work|root)\//, 'a path of this machine'],
          [/ZERO-DOWNTIME\.md/, 'the outside ZERO-DOWNTIME.md'],
        ] as const) {
          if (pattern.test(text)) offending.push(`${file}:${index + 1}: ${what}: ${text.trim()}`);
        }
      });
    }
    expect(offending).toEqual([]);
  });
});
