// POSIX sh word splitting for one-line `sh -c` scripts: quotes, backslashes and the control
// operators that separate simple commands (; & && || | newline), comments. No expansion: `$X`
// stays literal text, which is all a static check can know. Hand-written because no shell parser
// is among the project's dependencies (`shell-quote` on npm would do the same); the quoting rules
// are those of POSIX.1-2017 XCU 2.2 ("Quoting") and 2.3 ("Token Recognition").

export interface SimpleCommand { words: string[] }

const OPERATORS = ['&&', '||', ';;', ';', '&', '|', '\n'];

/** The simple commands of a script, in order; each word with its quotes removed. Unterminated quotes end the word. */
export function simpleCommands(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word: string | undefined; // undefined: between words ('' is an empty quoted word)
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push({ words });
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      word ??= '';
      for (i++; i < script.length && script[i] !== '"'; i++) {
        // inside double quotes a backslash escapes only $ ` " \ and newline
        if (script[i] === '\\' && i + 1 < script.length && '$`"\\\n'.includes(script[i + 1]!)) i++;
        word += script[i];
      }
    } else if (ch === '\\') {
      if (script[i + 1] === '\n') i++; // line continuation
      else if (i + 1 < script.length) word = (word ?? '') + script[++i];
    } else if (ch === '#' && word === undefined) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    } else {
      const op = OPERATORS.find((o) => script.startsWith(o, i));
      if (op) {
        endCommand();
        i += op.length - 1;
      } else if (ch === ' ' || ch === '\t') endWord();
      else word = (word ?? '') + ch;
    }
  }
  endCommand();
  return commands;
}
