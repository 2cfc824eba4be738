/** API composition: required/optional parts, dependent calls, field selection and declarative `compose:` routes. */
export { required, dependent, composeParts, partFault, isPartial, type PartError, type Composed, type CompositionParts, type LazyLogger } from './parts';
export { selectFields, parseFields, type KnownFields } from './fields';
export { composeSpecSchema, composePartSchema, dependencyOrder, type ComposeSpec, type ComposePart } from './compose-schema';
export { composeHandler, composeTerminal, composer, composeForwarder, type ComposeDeps, type ComposeRequest, type Composer } from './declarative';
export { composeGrpcSchema, GrpcPart, type ComposeGrpcTarget, type ComposeGrpcDeps, type GrpcPartInput } from './grpc-part';
export { requestDeadline, clientGoneSignal, branchDeadline, type BranchDeadline } from './request-deadline';
