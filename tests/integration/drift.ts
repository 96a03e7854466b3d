import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as PrismaSchemaWasm from "@prisma/prisma-schema-wasm";
import type pg from "pg";

/**
 * Schema drift detection: schema.prisma and a migrated database, described in one shape
 * (`DatabaseShape`) and compared.
 *
 * - `readSchemaModel()` derives the PostgreSQL structure Prisma's migration engine would create for
 *   prisma/schema.prisma, from the DMMF of @prisma/prisma-schema-wasm (the schema engine binary is
 *   not available here, so `prisma migrate diff` cannot do this for us).
 * - `readDatabaseModel(client)` reads the same structure from pg_catalog for the connection's
 *   current schema (normally `public`; graphile_worker and other schemas are never looked at).
 * - `compareModels(expected, actual, options)` lists every difference as a readable line.
 *
 * All three are pure apart from reading the schema file and querying the database.
 */

const require = createRequire(import.meta.url);

export const SCHEMA_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../prisma/schema.prisma",
);

// ---------------------------------------------------------------------------------------------
// The shared shape
// ---------------------------------------------------------------------------------------------

export type ReferentialAction = "CASCADE" | "RESTRICT" | "NO ACTION" | "SET NULL" | "SET DEFAULT";

export interface ColumnShape {
  /** As PostgreSQL's format_type() prints it ("text", "timestamp(3) without time zone", "text[]"),
   * or `enum <type name>` (with a trailing `[]` for arrays of an enum). */
  dataType: string;
  nullable: boolean;
  /** Canonical form of the column default (see `canonicalDefault`), or null for none. */
  default: string | null;
}

export interface IndexShape {
  name: string;
  unique: boolean;
  /** Column names in index order, with " DESC" appended for descending columns. */
  columns: string[];
  /** The WHERE clause of a partial index as pg_get_expr prints it, or null. */
  predicate: string | null;
  /** Access method: btree, hash, gin, gist, spgist, brin. */
  method: string;
}

export interface PrimaryKeyShape {
  name: string;
  columns: string[];
}

export interface ForeignKeyShape {
  /** Informational only: the DMMF does not carry `@relation(map: ...)`, so names are not compared. */
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: PrimaryKeyShape | null;
  /** Every index except the primary key's (unique constraints appear here as unique indexes). */
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

export interface DatabaseShape {
  /** Enum type name → labels in order. */
  enums: Record<string, string[]>;
  /** Table name → table. */
  tables: Record<string, TableShape>;
}

/** An index that exists in the database on purpose although schema.prisma cannot express it. */
export interface AllowedExtraIndex {
  table: string;
  name: string;
  unique: boolean;
  columns: string[];
  predicate: string | null;
  method?: string;
}

export interface CompareOptions {
  /** Tables that may exist in the database without a model (their contents are not checked). */
  ignoredTables: readonly string[];
  /** Extra indexes that must exist exactly as described; any other unexpected index is drift. */
  allowedExtraIndexes: readonly AllowedExtraIndex[];
}

// ---------------------------------------------------------------------------------------------
// DMMF (the subset used here)
// ---------------------------------------------------------------------------------------------

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  isUpdatedAt?: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationName?: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: Array<{ name: string; dbName: string | null }>;
}

export interface DmmfIndexField {
  name: string;
  sortOrder?: "asc" | "desc";
  length?: number;
  operatorClass?: string;
}

export interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  isDefinedOnField: boolean;
  name?: string;
  dbName?: string;
  algorithm?: string;
  fields: DmmfIndexField[];
}

export interface Dmmf {
  datamodel: {
    enums: DmmfEnum[];
    models: DmmfModel[];
    indexes: DmmfIndex[];
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function arrayProp(record: Record<string, unknown>, key: string, where: string): unknown[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new Error(`Unexpected DMMF: ${where}.${key} is not an array`);
  return value;
}

/** Parses get_dmmf's output, checking the parts this module relies on. */
export function parseDmmf(json: string): Dmmf {
  const root: unknown = JSON.parse(json);
  if (!isRecord(root) || !isRecord(root.datamodel))
    throw new Error("Unexpected DMMF: no datamodel");
  const datamodel = root.datamodel;
  for (const model of arrayProp(datamodel, "models", "datamodel")) {
    if (!isRecord(model) || typeof model.name !== "string")
      throw new Error("Unexpected DMMF: model without name");
    for (const field of arrayProp(model, "fields", `model ${model.name}`)) {
      if (!isRecord(field) || typeof field.name !== "string" || typeof field.kind !== "string") {
        throw new Error(`Unexpected DMMF: malformed field in model ${model.name}`);
      }
    }
  }
  for (const enm of arrayProp(datamodel, "enums", "datamodel")) {
    if (!isRecord(enm) || typeof enm.name !== "string")
      throw new Error("Unexpected DMMF: enum without name");
    arrayProp(enm, "values", `enum ${enm.name}`);
  }
  for (const index of arrayProp(datamodel, "indexes", "datamodel")) {
    if (!isRecord(index) || typeof index.model !== "string" || typeof index.type !== "string") {
      throw new Error("Unexpected DMMF: malformed index");
    }
    arrayProp(index, "fields", `index on ${index.model}`);
  }
  // The checks above cover every property read below that could otherwise be silently missing.
  return root as unknown as Dmmf;
}

/** The DMMF of schema.prisma (or of the given schema text). */
export function loadDmmf(schemaText: string = readFileSync(SCHEMA_PATH, "utf8")): Dmmf {
  const wasm = require("@prisma/prisma-schema-wasm") as typeof PrismaSchemaWasm;
  return parseDmmf(wasm.get_dmmf(JSON.stringify({ prismaSchema: schemaText })));
}

// ---------------------------------------------------------------------------------------------
// Canonical defaults
// ---------------------------------------------------------------------------------------------

const NUMERIC_TYPE = /^(smallint|integer|bigint|real|double precision|numeric|money|oid)\b/;
const JSON_TYPE = /^jsonb?$/;
const TIMESTAMP_TYPE = /^(timestamp|date)\b/;

function isArrayType(dataType: string): boolean {
  return dataType.endsWith("[]");
}

function elementType(dataType: string): string {
  return isArrayType(dataType) ? dataType.slice(0, -2) : dataType;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * One scalar value as the comparison sees it: numbers as numbers, JSON re-serialised, timestamps
 * as ISO strings, everything else as a quoted string literal.
 */
function canonicalScalar(value: string | number | boolean, dataType: string): string {
  if (typeof value === "boolean") return String(value);
  if (NUMERIC_TYPE.test(dataType)) {
    const parsed = Number(value);
    return Number.isNaN(parsed) ? String(value) : String(parsed);
  }
  if (typeof value === "number") return String(value);
  if (JSON_TYPE.test(dataType)) {
    try {
      return quoteLiteral(JSON.stringify(JSON.parse(value)));
    } catch {
      return quoteLiteral(value);
    }
  }
  if (TIMESTAMP_TYPE.test(dataType)) {
    const time = parseTimestamp(value);
    if (!Number.isNaN(time)) return quoteLiteral(new Date(time).toISOString());
  }
  return quoteLiteral(value);
}

/** Milliseconds since the epoch of a date or timestamp literal; one without a zone is UTC. */
function parseTimestamp(value: string): number {
  const text = value.trim().replace(" ", "T");
  if (/^\d{4}-\d\d-\d\d$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  const zone = /(Z|[+-]\d\d(:?\d\d)?)$/i.exec(text.slice(10));
  if (!zone) return Date.parse(`${text}Z`);
  return Date.parse(/[+-]\d\d$/.test(text) ? `${text}:00` : text);
}

/** Splits "a, 'b,c', d" on top-level commas. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inQuote = false;
  let current = "";
  for (let i = 0; i < list.length; i++) {
    const ch = list.charAt(i);
    if (inQuote) {
      current += ch;
      if (ch === "'") {
        if (list.charAt(i + 1) === "'") {
          current += "'";
          i++;
        } else {
          inQuote = false;
        }
      }
      continue;
    }
    if (ch === "'") inQuote = true;
    if (ch === "(" || ch === "[") depth++;
    if (ch === ")" || ch === "]") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts;
}

/** The items of `ARRAY[a, b]` or `ARRAY[a, b]::type[]`, or null if `expr` is not an array constructor. */
function arrayConstructorItems(expr: string): string[] | null {
  if (!expr.startsWith("ARRAY[")) return null;
  let depth = 0;
  let inQuote = false;
  for (let i = "ARRAY".length; i < expr.length; i++) {
    const ch = expr.charAt(i);
    if (inQuote) {
      if (ch === "'") {
        if (expr.charAt(i + 1) === "'") i++;
        else inQuote = false;
      }
      continue;
    }
    if (ch === "'") inQuote = true;
    else if (ch === "[") depth++;
    else if (ch === "]" && --depth === 0) {
      const rest = expr.slice(i + 1).trim();
      if (rest !== "" && stripCasts(`x${rest}`) !== "x") return null;
      return splitTopLevel(expr.slice("ARRAY[".length, i));
    }
  }
  return null;
}

/** Removes a trailing `::type` cast (including quoted and array types), repeatedly. */
function stripCasts(expr: string): string {
  let out = expr.trim();
  for (;;) {
    const match =
      /::(?:"(?:[^"]|"")+"|[a-zA-Z_][\w ]*(?:\(\d+(?:,\s*\d+)?\))?[\w ]*)(?:\[\])*$/.exec(out);
    if (!match) return out;
    out = out.slice(0, match.index).trim();
  }
}

function unwrapParens(expr: string): string {
  let out = expr.trim();
  while (out.startsWith("(") && out.endsWith(")")) out = out.slice(1, -1).trim();
  return out;
}

/**
 * Canonical form of a column default written as SQL (as pg_get_expr prints it, or as in
 * `dbgenerated("...")`), for a column of the given data type.
 */
export function canonicalSqlDefault(expr: string, dataType: string): string {
  const trimmed = expr.trim();
  if (/^(CURRENT_TIMESTAMP|now\(\)|CURRENT_TIMESTAMP\(\d\)|LOCALTIMESTAMP)$/i.test(trimmed))
    return "now()";
  if (/^nextval\(/i.test(trimmed)) return "autoincrement()";
  const element = elementType(dataType);
  const arrayItems = isArrayType(dataType) ? arrayConstructorItems(trimmed) : null;
  if (arrayItems)
    return `[${arrayItems.map((item) => canonicalSqlDefault(item, element)).join(", ")}]`;
  if (isArrayType(dataType) && /^'\{\}'(::.+)?$/.test(trimmed)) return "[]";
  const bare = unwrapParens(stripCasts(unwrapParens(trimmed)));
  const literal = /^'((?:[^']|'')*)'$/.exec(bare);
  if (literal) return canonicalScalar((literal[1] ?? "").replaceAll("''", "'"), element);
  if (/^-?\d+(\.\d+)?$/.test(bare))
    return canonicalScalar(bare, NUMERIC_TYPE.test(element) ? element : "numeric");
  if (/^(true|false)$/i.test(bare)) return bare.toLowerCase();
  return trimmed;
}

/** Canonical form of a DMMF default for a column; null when Prisma sets no database default. */
export function canonicalDmmfDefault(
  field: DmmfField,
  dataType: string,
  enumValueDbName: (enumName: string, value: string) => string,
): string | null {
  if (!field.hasDefaultValue || field.default === undefined) return null;
  const element = elementType(dataType);
  const scalar = (value: unknown): string => {
    if (typeof value === "string") {
      return canonicalScalar(
        field.kind === "enum" ? enumValueDbName(field.type, value) : value,
        element,
      );
    }
    if (typeof value === "number" || typeof value === "boolean")
      return canonicalScalar(value, element);
    return `unsupported default ${JSON.stringify(value)}`;
  };
  const value = field.default;
  if (Array.isArray(value)) return `[${value.map(scalar).join(", ")}]`;
  if (isRecord(value) && typeof value.name === "string") {
    const args = Array.isArray(value.args) ? value.args : [];
    switch (value.name) {
      case "now":
        return "now()";
      case "autoincrement":
        return "autoincrement()";
      case "dbgenerated": {
        const sql = args[0];
        return typeof sql === "string" ? canonicalSqlDefault(sql, dataType) : null;
      }
      // Generated by Prisma Client, not by the database.
      case "cuid":
      case "uuid":
      case "nanoid":
      case "ulid":
        return null;
      default:
        return `unsupported default ${value.name}()`;
    }
  }
  if (value === null) return null;
  return scalar(value);
}

// ---------------------------------------------------------------------------------------------
// schema.prisma → DatabaseShape
// ---------------------------------------------------------------------------------------------

const PRISMA_DEFAULT_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};

function withOptionalArgs(base: string, args: string[], suffix = ""): string {
  return args.length > 0 ? `${base}(${args.join(",")})${suffix}` : `${base}${suffix}`;
}

/** format_type() spelling of a Prisma native type attribute (@db.X). */
function nativeTypeName(name: string, args: string[]): string {
  switch (name) {
    case "Text":
      return "text";
    case "VarChar":
      return withOptionalArgs("character varying", args);
    case "Char":
      return withOptionalArgs("character", args.length > 0 ? args : ["1"]);
    case "Uuid":
      return "uuid";
    case "Citext":
      return "citext";
    case "Inet":
      return "inet";
    case "Xml":
      return "xml";
    case "Bit":
      return withOptionalArgs("bit", args.length > 0 ? args : ["1"]);
    case "VarBit":
      return withOptionalArgs("bit varying", args);
    case "SmallInt":
      return "smallint";
    case "Integer":
      return "integer";
    case "BigInt":
      return "bigint";
    case "Oid":
      return "oid";
    case "Decimal":
      return withOptionalArgs("numeric", args);
    case "Money":
      return "money";
    case "Real":
      return "real";
    case "DoublePrecision":
      return "double precision";
    case "Boolean":
      return "boolean";
    case "Date":
      return "date";
    case "Timestamp":
      return withOptionalArgs("timestamp", args, " without time zone");
    case "Timestamptz":
      return withOptionalArgs("timestamp", args, " with time zone");
    case "Time":
      return withOptionalArgs("time", args, " without time zone");
    case "Timetz":
      return withOptionalArgs("time", args, " with time zone");
    case "Json":
      return "json";
    case "JsonB":
      return "jsonb";
    case "ByteA":
      return "bytea";
    default:
      return `unsupported native type @db.${name}`;
  }
}

/** Prisma's default constraint name: `<table>_<columns>_<suffix>`, cut to PostgreSQL's 63 bytes. */
export function defaultConstraintName(
  table: string,
  columns: string[],
  suffix: "pkey" | "key" | "idx" | "fkey",
): string {
  const prefix = suffix === "pkey" ? table : `${table}_${columns.join("_")}`;
  const limit = 63 - suffix.length - 1;
  return `${prefix.length > limit ? prefix.slice(0, limit) : prefix}_${suffix}`;
}

function referentialAction(
  value: string | undefined,
  fallback: ReferentialAction,
): ReferentialAction {
  switch (value) {
    case undefined:
      return fallback;
    case "Cascade":
      return "CASCADE";
    case "Restrict":
      return "RESTRICT";
    case "NoAction":
      return "NO ACTION";
    case "SetNull":
      return "SET NULL";
    case "SetDefault":
      return "SET DEFAULT";
    default:
      throw new Error(`Unknown referential action ${value}`);
  }
}

const INDEX_ALGORITHMS: Record<string, string> = {
  BTree: "btree",
  Hash: "hash",
  Gist: "gist",
  Gin: "gin",
  SpGist: "spgist",
  Brin: "brin",
};

/** The PostgreSQL structure Prisma's migration engine creates for the given DMMF. */
export function schemaModelFromDmmf(dmmf: Dmmf): DatabaseShape {
  const { enums, models, indexes } = dmmf.datamodel;
  const enumByName = new Map(enums.map((enm) => [enm.name, enm]));
  const modelByName = new Map(models.map((model) => [model.name, model]));
  const tableName = (model: DmmfModel) => model.dbName ?? model.name;
  const columnName = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((candidate) => candidate.name === fieldName);
    if (!field) throw new Error(`Model ${model.name} has no field ${fieldName}`);
    return field.dbName ?? field.name;
  };
  const enumValueDbName = (enumName: string, value: string) =>
    enumByName.get(enumName)?.values.find((candidate) => candidate.name === value)?.dbName ?? value;

  const shape: DatabaseShape = { enums: {}, tables: {} };
  for (const enm of enums) {
    shape.enums[enm.dbName ?? enm.name] = enm.values.map((value) => value.dbName ?? value.name);
  }

  for (const model of models) {
    const table = tableName(model);
    const columns: Record<string, ColumnShape> = {};
    for (const field of model.fields) {
      if (field.kind === "object") continue;
      let dataType: string;
      if (field.kind === "enum") {
        const enm = enumByName.get(field.type);
        dataType = `enum ${enm?.dbName ?? field.type}`;
      } else if (field.kind === "unsupported") {
        dataType = `unsupported type ${field.type}`;
      } else if (field.nativeType) {
        dataType = nativeTypeName(field.nativeType[0], field.nativeType[1]);
      } else {
        dataType = PRISMA_DEFAULT_TYPES[field.type] ?? `unsupported type ${field.type}`;
      }
      if (field.isList) dataType += "[]";
      columns[field.dbName ?? field.name] = {
        dataType,
        // Prisma creates list columns without NOT NULL.
        nullable: field.isList || !field.isRequired,
        default: canonicalDmmfDefault(field, dataType, enumValueDbName),
      };
    }

    let primaryKey: PrimaryKeyShape | null = null;
    const tableIndexes: IndexShape[] = [];
    for (const index of indexes.filter((candidate) => candidate.model === model.name)) {
      const names = index.fields.map((field) => columnName(model, field.name));
      if (index.type === "id") {
        primaryKey = {
          name: index.dbName ?? defaultConstraintName(table, names, "pkey"),
          columns: names,
        };
        continue;
      }
      tableIndexes.push({
        name:
          index.dbName ??
          defaultConstraintName(table, names, index.type === "unique" ? "key" : "idx"),
        unique: index.type === "unique",
        columns: index.fields.map(
          (field, i) => `${names[i] ?? field.name}${field.sortOrder === "desc" ? " DESC" : ""}`,
        ),
        predicate: null,
        method: index.algorithm
          ? (INDEX_ALGORITHMS[index.algorithm] ?? index.algorithm.toLowerCase())
          : "btree",
      });
    }

    const foreignKeys: ForeignKeyShape[] = [];
    for (const field of model.fields) {
      if (
        field.kind !== "object" ||
        !field.relationFromFields ||
        field.relationFromFields.length === 0
      )
        continue;
      const referenced = modelByName.get(field.type);
      if (!referenced)
        throw new Error(
          `Relation ${model.name}.${field.name} points at unknown model ${field.type}`,
        );
      const fkColumns = field.relationFromFields.map((name) => columnName(model, name));
      foreignKeys.push({
        name: defaultConstraintName(table, fkColumns, "fkey"),
        columns: fkColumns,
        referencedTable: tableName(referenced),
        referencedColumns: (field.relationToFields ?? []).map((name) =>
          columnName(referenced, name),
        ),
        // Prisma's defaults: Restrict for a required relation, SetNull for an optional one; Cascade on update.
        onDelete: referentialAction(
          field.relationOnDelete,
          field.isRequired ? "RESTRICT" : "SET NULL",
        ),
        onUpdate: referentialAction(field.relationOnUpdate, "CASCADE"),
      });
    }

    shape.tables[table] = { columns, primaryKey, indexes: tableIndexes, foreignKeys };
  }
  return shape;
}

/** The structure schema.prisma describes. */
export function readSchemaModel(): DatabaseShape {
  return schemaModelFromDmmf(loadDmmf());
}

// ---------------------------------------------------------------------------------------------
// Database → DatabaseShape
// ---------------------------------------------------------------------------------------------

export type Queryable = Pick<pg.ClientBase, "query">;

type EnumRow = { name: string; labels: string[] };
type TableRow = { name: string };
type ColumnRow = {
  table_name: string;
  column_name: string;
  not_null: boolean;
  formatted_type: string;
  type_kind: string;
  type_name: string;
  element_kind: string | null;
  element_name: string | null;
  default_expr: string | null;
  identity: string;
};
type IndexRow = {
  table_name: string;
  name: string;
  is_unique: boolean;
  is_primary: boolean;
  method: string;
  predicate: string | null;
  columns: Array<{ name: string; desc: boolean }>;
};
type ConstraintRow = {
  table_name: string;
  name: string;
  kind: string;
  columns: string[];
  referenced_table: string | null;
  referenced_columns: string[] | null;
  on_delete: string;
  on_update: string;
};

const ACTION_CODES: Record<string, ReferentialAction> = {
  a: "NO ACTION",
  r: "RESTRICT",
  c: "CASCADE",
  n: "SET NULL",
  d: "SET DEFAULT",
};

/** Reads tables, columns, enums, keys, indexes and foreign keys of the current schema. */
export async function readDatabaseModel(client: Queryable): Promise<DatabaseShape> {
  const enums = await client.query<EnumRow>(`
    SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t
    JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = current_schema()
    GROUP BY t.typname
    ORDER BY t.typname`);

  const tables = await client.query<TableRow>(`
    SELECT c.relname AS name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname`);

  const columns = await client.query<ColumnRow>(`
    SELECT c.relname AS table_name,
           a.attname AS column_name,
           a.attnotnull AS not_null,
           format_type(a.atttypid, a.atttypmod) AS formatted_type,
           t.typtype::text AS type_kind,
           t.typname AS type_name,
           et.typtype::text AS element_kind,
           et.typname AS element_name,
           pg_get_expr(d.adbin, d.adrelid) AS default_expr,
           a.attidentity::text AS identity
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`);

  const indexRows = await client.query<IndexRow>(`
    SELECT t.relname AS table_name,
           i.relname AS name,
           ix.indisunique AS is_unique,
           ix.indisprimary AS is_primary,
           am.amname AS method,
           pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
           (SELECT coalesce(json_agg(json_build_object(
                      'name', CASE WHEN k.attnum = 0
                                   THEN pg_get_indexdef(ix.indexrelid, k.pos::int, true)
                                   ELSE att.attname::text END,
                      'desc', (ix.indoption[k.pos - 1] & 1) = 1)
                    ORDER BY k.pos), '[]'::json)
              FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
              LEFT JOIN pg_attribute att ON att.attrelid = ix.indrelid AND att.attnum = k.attnum
             WHERE k.pos <= ix.indnkeyatts) AS columns
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE n.nspname = current_schema()
    ORDER BY t.relname, i.relname`);

  const constraints = await client.query<ConstraintRow>(`
    SELECT c.relname AS table_name,
           con.conname AS name,
           con.contype::text AS kind,
           (SELECT array_agg(a.attname::text ORDER BY k.pos)
              FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
              JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
           rc.relname AS referenced_table,
           (SELECT array_agg(a.attname::text ORDER BY k.pos)
              FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, pos)
              JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS referenced_columns,
           con.confdeltype::text AS on_delete,
           con.confupdtype::text AS on_update
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class rc ON rc.oid = con.confrelid
    WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')
    ORDER BY c.relname, con.conname`);

  const shape: DatabaseShape = { enums: {}, tables: {} };
  for (const row of enums.rows) shape.enums[row.name] = row.labels;
  for (const row of tables.rows) {
    shape.tables[row.name] = { columns: {}, primaryKey: null, indexes: [], foreignKeys: [] };
  }

  for (const row of columns.rows) {
    const table = shape.tables[row.table_name];
    if (!table) continue;
    let dataType = row.formatted_type;
    if (row.type_kind === "e") dataType = `enum ${row.type_name}`;
    else if (row.element_kind === "e" && row.element_name) dataType = `enum ${row.element_name}[]`;
    let defaultValue =
      row.default_expr === null ? null : canonicalSqlDefault(row.default_expr, dataType);
    if (row.identity === "a" || row.identity === "d") defaultValue = "autoincrement()";
    table.columns[row.column_name] = { dataType, nullable: !row.not_null, default: defaultValue };
  }

  for (const row of indexRows.rows) {
    const table = shape.tables[row.table_name];
    if (!table || row.is_primary) continue;
    table.indexes.push({
      name: row.name,
      unique: row.is_unique,
      columns: row.columns.map((column) => `${column.name}${column.desc ? " DESC" : ""}`),
      predicate: row.predicate,
      method: row.method,
    });
  }

  for (const row of constraints.rows) {
    const table = shape.tables[row.table_name];
    if (!table) continue;
    if (row.kind === "p") {
      table.primaryKey = { name: row.name, columns: row.columns };
    } else {
      table.foreignKeys.push({
        name: row.name,
        columns: row.columns,
        referencedTable: row.referenced_table ?? "?",
        referencedColumns: row.referenced_columns ?? [],
        onDelete: ACTION_CODES[row.on_delete] ?? "NO ACTION",
        onUpdate: ACTION_CODES[row.on_update] ?? "NO ACTION",
      });
    }
  }
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

const EXPECTED = "schema.prisma";
const ACTUAL = "the database";

const q = (name: string) => `"${name}"`;
const columnList = (columns: readonly string[]) =>
  `(${columns.map((column) => column.replace(/^(.*?)( DESC)?$/, (_m, name: string, desc?: string) => `${q(name)}${desc ?? ""}`)).join(", ")})`;
const show = (value: string | null) => value ?? "none";

function describeIndex(
  table: string,
  index: Pick<IndexShape, "unique" | "columns" | "predicate" | "method">,
): string {
  const kind = index.unique ? "unique index" : "index";
  const method = index.method === "btree" ? "" : ` USING ${index.method}`;
  const where = index.predicate ? ` WHERE ${index.predicate}` : "";
  return `${kind} on ${q(table)}${columnList(index.columns)}${method}${where}`;
}

function indexKey(index: Pick<IndexShape, "unique" | "columns" | "predicate" | "method">): string {
  return JSON.stringify([index.unique, index.columns, index.predicate, index.method]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function compareEnums(expected: DatabaseShape, actual: DatabaseShape, out: string[]): void {
  for (const [name, values] of Object.entries(expected.enums)) {
    const found = actual.enums[name];
    if (!found) {
      out.push(`enum ${q(name)}: in ${EXPECTED} but missing from ${ACTUAL}`);
    } else if (!sameList(values, found)) {
      out.push(
        `enum ${q(name)}: values differ — ${EXPECTED}: [${values.join(", ")}], ${ACTUAL}: [${found.join(", ")}]`,
      );
    }
  }
  for (const name of Object.keys(actual.enums)) {
    if (!(name in expected.enums)) out.push(`enum ${q(name)}: in ${ACTUAL} but not in ${EXPECTED}`);
  }
}

function compareColumns(
  table: string,
  expected: TableShape,
  actual: TableShape,
  out: string[],
): void {
  for (const [name, column] of Object.entries(expected.columns)) {
    const found = actual.columns[name];
    const where = `column ${q(table)}.${q(name)}`;
    if (!found) {
      out.push(`${where}: in ${EXPECTED} but missing from ${ACTUAL}`);
      continue;
    }
    if (column.dataType !== found.dataType) {
      out.push(
        `${where}: type differs — ${EXPECTED}: ${column.dataType}, ${ACTUAL}: ${found.dataType}`,
      );
    }
    if (column.nullable !== found.nullable) {
      const describe = (nullable: boolean) => (nullable ? "nullable" : "NOT NULL");
      out.push(
        `${where}: nullability differs — ${EXPECTED}: ${describe(column.nullable)}, ${ACTUAL}: ${describe(found.nullable)}`,
      );
    }
    if (column.default !== found.default) {
      out.push(
        `${where}: default differs — ${EXPECTED}: ${show(column.default)}, ${ACTUAL}: ${show(found.default)}`,
      );
    }
  }
  for (const name of Object.keys(actual.columns)) {
    if (!(name in expected.columns))
      out.push(`column ${q(table)}.${q(name)}: in ${ACTUAL} but not in ${EXPECTED}`);
  }
}

function comparePrimaryKeys(
  table: string,
  expected: TableShape,
  actual: TableShape,
  out: string[],
): void {
  const want = expected.primaryKey;
  const got = actual.primaryKey;
  if (!want && !got) return;
  if (!want || !got) {
    const describe = (pk: PrimaryKeyShape | null) =>
      pk ? `${q(pk.name)} ${columnList(pk.columns)}` : "none";
    out.push(
      `primary key of ${q(table)}: differs — ${EXPECTED}: ${describe(want)}, ${ACTUAL}: ${describe(got)}`,
    );
    return;
  }
  if (!sameList(want.columns, got.columns)) {
    out.push(
      `primary key of ${q(table)}: columns differ — ${EXPECTED}: ${columnList(want.columns)}, ${ACTUAL}: ${columnList(got.columns)}`,
    );
  }
  if (want.name !== got.name) {
    out.push(
      `primary key of ${q(table)}: name differs — ${EXPECTED}: ${q(want.name)}, ${ACTUAL}: ${q(got.name)}`,
    );
  }
}

function compareIndexes(
  table: string,
  expected: TableShape,
  actual: TableShape,
  allowed: readonly AllowedExtraIndex[],
  out: string[],
): void {
  const unmatched = [...actual.indexes];
  for (const index of expected.indexes) {
    const at = unmatched.findIndex((candidate) => indexKey(candidate) === indexKey(index));
    if (at === -1) {
      out.push(
        `${describeIndex(table, index)}: in ${EXPECTED} (as ${q(index.name)}) but missing from ${ACTUAL}`,
      );
      continue;
    }
    const [found] = unmatched.splice(at, 1);
    if (found && found.name !== index.name) {
      out.push(
        `${describeIndex(table, index)}: name differs — ${EXPECTED}: ${q(index.name)}, ${ACTUAL}: ${q(found.name)}`,
      );
    }
  }
  const allowedHere = allowed.filter((entry) => entry.table === table);
  for (const index of unmatched) {
    const entry = allowedHere.find((candidate) => candidate.name === index.name);
    if (!entry) {
      out.push(
        `${describeIndex(table, index)}: in ${ACTUAL} (as ${q(index.name)}) but not in ${EXPECTED} or the allow-list`,
      );
      continue;
    }
    const want = {
      unique: entry.unique,
      columns: entry.columns,
      predicate: entry.predicate,
      method: entry.method ?? "btree",
    };
    if (indexKey(want) !== indexKey(index)) {
      out.push(
        `allow-listed index ${q(index.name)}: definition differs — allow-list: ${describeIndex(table, want)}, ${ACTUAL}: ${describeIndex(table, index)}`,
      );
    }
  }
  for (const entry of allowedHere) {
    if (!actual.indexes.some((index) => index.name === entry.name)) {
      out.push(`allow-listed index ${q(entry.name)} on ${q(table)}: missing from ${ACTUAL}`);
    }
  }
}

function compareForeignKeys(
  table: string,
  expected: TableShape,
  actual: TableShape,
  out: string[],
): void {
  const unmatched = [...actual.foreignKeys];
  const describe = (fk: ForeignKeyShape) =>
    `${q(fk.referencedTable)}${columnList(fk.referencedColumns)} ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
  for (const fk of expected.foreignKeys) {
    const where = `foreign key ${q(table)}${columnList(fk.columns)}`;
    const at = unmatched.findIndex((candidate) => sameList(candidate.columns, fk.columns));
    if (at === -1) {
      out.push(`${where}: in ${EXPECTED} (→ ${describe(fk)}) but missing from ${ACTUAL}`);
      continue;
    }
    const [found] = unmatched.splice(at, 1);
    if (!found) continue;
    if (
      found.referencedTable !== fk.referencedTable ||
      !sameList(found.referencedColumns, fk.referencedColumns)
    ) {
      out.push(
        `${where}: references differ — ${EXPECTED}: ${q(fk.referencedTable)}${columnList(fk.referencedColumns)}, ${ACTUAL}: ${q(found.referencedTable)}${columnList(found.referencedColumns)}`,
      );
    }
    if (found.onDelete !== fk.onDelete) {
      out.push(
        `${where}: ON DELETE differs — ${EXPECTED}: ${fk.onDelete}, ${ACTUAL}: ${found.onDelete}`,
      );
    }
    if (found.onUpdate !== fk.onUpdate) {
      out.push(
        `${where}: ON UPDATE differs — ${EXPECTED}: ${fk.onUpdate}, ${ACTUAL}: ${found.onUpdate}`,
      );
    }
  }
  for (const fk of unmatched) {
    out.push(
      `foreign key ${q(table)}${columnList(fk.columns)} (${q(fk.name)} → ${describe(fk)}): in ${ACTUAL} but not in ${EXPECTED}`,
    );
  }
}

/** Every difference between the expected structure (schema.prisma) and the actual one (database). */
export function compareModels(
  expected: DatabaseShape,
  actual: DatabaseShape,
  options: CompareOptions,
): string[] {
  const out: string[] = [];
  compareEnums(expected, actual, out);
  for (const [name, table] of Object.entries(expected.tables)) {
    const found = actual.tables[name];
    if (!found) {
      out.push(`table ${q(name)}: in ${EXPECTED} but missing from ${ACTUAL}`);
      continue;
    }
    compareColumns(name, table, found, out);
    comparePrimaryKeys(name, table, found, out);
    compareIndexes(name, table, found, options.allowedExtraIndexes, out);
    compareForeignKeys(name, table, found, out);
  }
  for (const name of Object.keys(actual.tables)) {
    if (!(name in expected.tables) && !options.ignoredTables.includes(name)) {
      out.push(`table ${q(name)}: in ${ACTUAL} but not in ${EXPECTED}`);
    }
  }
  for (const entry of options.allowedExtraIndexes) {
    if (!(entry.table in expected.tables)) {
      out.push(
        `allow-listed index ${q(entry.name)}: its table ${q(entry.table)} is not in ${EXPECTED}`,
      );
    }
  }
  return out.sort();
}
