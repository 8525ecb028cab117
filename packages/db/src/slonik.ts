import "./polyfill.ts";

export {
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  ConnectionError,
  createPool,
  StatementTimeoutError,
  sql,
  SchemaValidationError,
  UniqueIntegrityConstraintViolationError,
  type DatabasePool,
  type DatabaseTransactionConnection,
  type CommonQueryMethods,
  type Interceptor,
  type QueryResultRow,
} from "slonik";
