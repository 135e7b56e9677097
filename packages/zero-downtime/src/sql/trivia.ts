/**
 * Whitespace and comments around statements. The parser reports each statement's range
 * including the comments that precede it; these helpers find where the statement itself starts
 * and read the comments in between (used for `-- zdm-ignore` suppressions).
 */

export interface SqlComment {
  text: string;
  /** 0-based character offset of the comment's first character within the scanned text. */
  offset: number;
}

export interface TriviaScan {
  /** Offset of the first character that is neither whitespace, a comment nor a semicolon. */
  end: number;
  comments: SqlComment[];
}

const whitespace = new Set([' ', '\t', '\n', '\r', '\f', '\v']);

function lineCommentEnd(text: string, start: number): number {
  const newline = text.indexOf('\n', start);
  return newline === -1 ? text.length : newline;
}

/** Block comments nest in PostgreSQL, unlike in C. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  let at = start;
  while (at < text.length) {
    if (text.startsWith('/*', at)) {
      depth += 1;
      at += 2;
    } else if (text.startsWith('*/', at)) {
      depth -= 1;
      at += 2;
      if (depth === 0) return at;
    } else {
      at += 1;
    }
  }
  return text.length;
}

/**
 * Scans whitespace, semicolons and comments from `start`. Only call it on text the parser has
 * already placed between statements: it does not understand string literals.
 */
export function scanTrivia(text: string, start = 0): TriviaScan {
  const comments: SqlComment[] = [];
  let at = start;
  while (at < text.length) {
    if (whitespace.has(text[at]) || text[at] === ';') {
      at += 1;
    } else if (text.startsWith('--', at)) {
      const end = lineCommentEnd(text, at);
      comments.push({ text: text.slice(at, end), offset: at });
      at = end;
    } else if (text.startsWith('/*', at)) {
      const end = blockCommentEnd(text, at);
      comments.push({ text: text.slice(at, end), offset: at });
      at = end;
    } else {
      break;
    }
  }
  return { end: at, comments };
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line += 1;
  }
  return line;
}

/** Line lookup for many offsets of the same text (binary search over newline positions). */
export function lineIndex(text: string): (offset: number) => number {
  const newlines: number[] = [];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) newlines.push(at);
  return (offset) => {
    let low = 0;
    let high = newlines.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (newlines[middle] < offset) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
}
