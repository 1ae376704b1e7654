// `quarry/admin`: the admin interface, an entry point of its own so that the main package's types need no node:http.
export { admin, type AdminOptions, type AdminPermission } from "./admin.js";
