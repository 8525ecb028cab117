import "./polyfill.ts";

export {
  createPool,
  sql,
  SchemaValidationError,
  UniqueIntegrityConstraintViolationError,
  type DatabasePool,
  type DatabaseTransactionConnection,
  type CommonQueryMethods,
  type Interceptor,
  type QueryResultRow,
} from "slonik";
