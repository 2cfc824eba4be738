/** Router: the route table, compiled per-route chains and the router middleware holding the map in force. */
export { RouteTable, type TableMatch } from './route-table';
export { compileRoutingMap, bodyLimitOf, type CompiledRoute, type CompiledRoutingMap, type CompileDeps } from './compile-routes';
export { createRouter, type Router } from './router';
export { policyChain, type PolicyChainDeps } from './policy-chain';
