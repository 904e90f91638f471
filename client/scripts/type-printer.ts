import ts from 'typescript';

/**
 * Prints a checker type as standalone TypeScript: every object, union and literal written out, so
 * the text names nothing from the program it came from. Types that contain themselves are
 * hoisted into named aliases (`declarations`), the only way to write them out.
 */
export class StandalonePrinter {
  readonly declarations = new Map<ts.Type, { name: string; text: string }>();
  private readonly recursive = new Set<ts.Type>();
  private readonly usedNames = new Set<string>();

  private readonly checker: ts.TypeChecker;
  /** Whether a file is one of TypeScript's own libraries (where the global Uint8Array is declared). */
  private readonly isDefaultLibrary: (file: ts.SourceFile) => boolean;

  constructor(checker: ts.TypeChecker, isDefaultLibrary: (file: ts.SourceFile) => boolean) {
    this.checker = checker;
    this.isDefaultLibrary = isDefaultLibrary;
  }

  print(type: ts.Type): string {
    // First pass finds the types that reach themselves; the second names them.
    this.write(type, [], true);
    return this.write(type, [], false);
  }

  private nameFor(type: ts.Type): string {
    const base = (type.aliasSymbol?.name ?? type.getSymbol()?.name ?? 'Recursive').replace(/^__\w*$/, 'Recursive');
    let name = base;
    for (let index = 2; this.usedNames.has(name); index++) name = `${base}${index}`;
    this.usedNames.add(name);
    return name;
  }

  private write(type: ts.Type, stack: ts.Type[], probing: boolean): string {
    const { checker } = this;
    const flags = type.flags;
    if (flags & ts.TypeFlags.Any) return 'any';
    if (flags & ts.TypeFlags.Unknown) return 'unknown';
    if (flags & ts.TypeFlags.Never) return 'never';
    if (flags & ts.TypeFlags.String) return 'string';
    if (flags & ts.TypeFlags.Number) return 'number';
    if (flags & ts.TypeFlags.BigInt) return 'bigint';
    if (flags & ts.TypeFlags.Boolean) return 'boolean';
    if (flags & ts.TypeFlags.Null) return 'null';
    if (flags & ts.TypeFlags.Undefined) return 'undefined';
    if (flags & ts.TypeFlags.Void) return 'void';
    if (flags & ts.TypeFlags.StringLiteral) return JSON.stringify((type as ts.StringLiteralType).value);
    if (flags & ts.TypeFlags.NumberLiteral) return String((type as ts.NumberLiteralType).value);
    if (flags & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
    if (flags & ts.TypeFlags.TemplateLiteral) return checker.typeToString(type);
    if (type.isUnion()) return this.union(type, stack, probing);
    if (type.isIntersection()) return type.types.map((member) => this.wrapped(member, stack, probing)).join(' & ');
    if (flags & ts.TypeFlags.Object) return this.object(type as ts.ObjectType, stack, probing);
    throw new Error(`Cannot print type ${checker.typeToString(type)} (flags ${flags})`);
  }

  private union(type: ts.UnionType, stack: ts.Type[], probing: boolean): string {
    const members = type.types;
    const booleans = members.filter((member) => member.flags & ts.TypeFlags.BooleanLiteral);
    const rest = members.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral));
    const parts = rest.map((member) => this.wrapped(member, stack, probing));
    if (booleans.length === 2) parts.push('boolean');
    else parts.push(...booleans.map((member) => this.checker.typeToString(member)));
    return [...new Set(parts)].join(' | ');
  }

  /** A member of a union, intersection or array, parenthesized where precedence needs it. */
  private wrapped(type: ts.Type, stack: ts.Type[], probing: boolean): string {
    const text = this.write(type, stack, probing);
    const needsParens = (type.isUnion() && !(type.flags & ts.TypeFlags.Boolean)) || type.isIntersection();
    return needsParens ? `(${text})` : text;
  }

  private object(type: ts.ObjectType, stack: ts.Type[], probing: boolean): string {
    const { checker } = this;
    // Bytes (a raw request body): named, since their methods cannot be written out as JSON.
    const symbol = type.getSymbol();
    if (symbol?.name === 'Uint8Array' && symbol.declarations?.some((declaration) => this.isDefaultLibrary(declaration.getSourceFile()))) return 'Uint8Array';
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      const readonly = symbol?.name === 'ReadonlyArray' ? 'readonly ' : '';
      return `${readonly}${this.wrapped(element!, stack, probing)}[]`;
    }
    if (checker.isTupleType(type)) {
      const target = (type as ts.TypeReference).target as ts.TupleType;
      const elements = checker.getTypeArguments(type as ts.TypeReference).map((element, index) => {
        const text = this.write(element, stack, probing);
        const flag = target.elementFlags[index]!;
        if (flag & ts.ElementFlags.Rest) return `...${this.wrapped(element, stack, probing)}[]`;
        return flag & ts.ElementFlags.Optional ? `${text}?` : text;
      });
      return `[${elements.join(', ')}]`;
    }
    if (stack.includes(type)) {
      if (probing) this.recursive.add(type);
      return this.declarationName(type);
    }
    if (!probing && this.recursive.has(type)) {
      const declaration = this.declarations.get(type);
      if (declaration?.text) return declaration.name;
      const name = this.declarationName(type);
      this.declarations.get(type)!.text = this.body(type, [type], probing);
      return name;
    }
    return this.body(type, [...stack, type], probing);
  }

  private body(type: ts.ObjectType, inner: ts.Type[], probing: boolean): string {
    const { checker } = this;
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) {
      throw new Error(`A function type cannot travel as JSON: ${checker.typeToString(type)}`);
    }
    const members: string[] = [];
    for (const info of checker.getIndexInfosOfType(type)) {
      members.push(`[key: ${checker.typeToString(info.keyType)}]: ${this.write(info.type, inner, probing)};`);
    }
    for (const property of checker.getPropertiesOfType(type)) {
      const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
      const name = /^[A-Za-z_$][\w$]*$/.test(property.name) ? property.name : JSON.stringify(property.name);
      members.push(`${name}${optional}: ${this.write(checker.getTypeOfSymbol(property), inner, probing)};`);
    }
    return members.length === 0 ? '{}' : `{ ${members.join(' ')} }`;
  }

  private declarationName(type: ts.Type): string {
    let declaration = this.declarations.get(type);
    if (!declaration) {
      declaration = { name: this.nameFor(type), text: '' };
      this.declarations.set(type, declaration);
    }
    return declaration.name;
  }
}
