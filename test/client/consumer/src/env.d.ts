// What @types/node would declare, kept to the one global the example reads (the consumer installs nothing else).
declare const process: { env: Record<string, string | undefined> };
