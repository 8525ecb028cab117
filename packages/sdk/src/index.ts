export { createChatClient } from "./client.ts";
export { ChatError, type ChatErrorCode, type ChatErrorOptions } from "./errors.ts";
export type { FilesApi, UploadOptions, UploadProgress, UploadSource } from "./files.ts";
export type {
  AuthApi,
  ChatClient,
  ChatClientOptions,
  LifecycleEvents,
  MembersApi,
  MessagesApi,
  RealtimeApi,
  RealtimeEventName,
  RealtimeEvents,
  RealtimeSendInput,
  RequestOptions,
  RoomsApi,
  SendInput,
  SystemApi,
  UserListOptions,
  UsersApi,
  WebSocketConstructor,
} from "./types.ts";
// The contracts travel with the SDK: every schema and type a client needs, from one package.
export * from "@causette/contracts";
