// Cosmos DB (NoSQL) with the database and containers of docs/adr/0004-cosmos-containers.md:
// partition keys, indexing policies, TTL, and the leases container of the RelayOutbox change
// feed (created here: a managed identity cannot create containers through the data plane).
// Serverless by default; provisioned autoscale throughput when serverless is false.
param name string
param location string
param tags object
param identityPrincipalId string
param databaseName string
param serverless bool
param autoscaleMaxThroughput int

// The app's containers with their partition keys, indexing policies and TTL, exactly as
// CosmosContainers.Definitions() declares them (InfraBicepTests fails when the two differ and
// says how to regenerate the file), plus the leases container of the RelayOutbox change feed.
var leases = {
  name: 'leases'
  partitionKey: '/id'
  defaultTtl: null
  indexingPolicy: {
    indexingMode: 'consistent'
    includedPaths: [ { path: '/*' } ]
    excludedPaths: []
    compositeIndexes: []
  }
}
var containers = concat(loadJsonContent('cosmos-containers.json'), [ leases ])

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [ { locationName: location, failoverPriority: 0, isZoneRedundant: false } ]
    capabilities: serverless ? [ { name: 'EnableServerless' } ] : []
    minimalTlsVersion: 'Tls12'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for container in containers: {
  parent: database
  name: container.name
  properties: {
    resource: union({
      id: container.name
      partitionKey: { paths: [ container.partitionKey ], kind: 'Hash', version: 2 }
      indexingPolicy: container.indexingPolicy
    }, container.defaultTtl == null ? {} : { defaultTtl: container.defaultTtl })
  }
}]

// Cosmos DB Built-in Data Contributor (a data-plane role, assigned on the account).
resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: account
  name: guid(account.id, identityPrincipalId, '00000000-0000-0000-0000-000000000002')
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: identityPrincipalId
    scope: account.id
  }
}

output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
