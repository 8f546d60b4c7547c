// The Function App on Flex Consumption, runtime custom 1.0 (the app is a custom handler: see
// host.json). One always-ready instance serves the HTTP group, so Microsoft Graph's 10 s
// validation handshake and the 3 s notification deadline never meet a cold start. The package
// is deployed to a blob container read with the managed identity.
param name string
param location string
param tags object
param identityId string
param deploymentContainerUrl string
param appSettings object
param alwaysReadyHttpInstances int
param maximumInstanceCount int
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // No platform CORS, on purpose: the app answers CORS itself for main.bicep's allowedOrigins
      // (Http__AllowedOrigins). The Functions host's CORS replaces the CORS headers of the app's
      // answers with its own and cannot expose headers, so a browser could not read ETag,
      // Location or Retry-After (azure-functions-host issue 1303).
      cors: {
        allowedOrigins: []
        supportCredentials: false
      }
      appSettings: [for setting in items(appSettings): { name: setting.key, value: setting.value }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: [ { name: 'http', instanceCount: alwaysReadyHttpInstances } ]
      }
      runtime: { name: 'custom', version: '1.0' }
    }
  }
}

resource basicPublishingFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource basicPublishingScm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
