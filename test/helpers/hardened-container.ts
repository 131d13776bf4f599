import { GenericContainer } from 'testcontainers';

/**
 * A GenericContainer started the way compose.prod.yaml starts the service: read-only root filesystem, a tmpfs
 * for /tmp, every capability dropped, no privilege escalation. testcontainers has no builder method for a
 * read-only root, so it is set on the host config directly. Published ports are bound to 127.0.0.1 only
 * (testcontainers would publish on every interface).
 */
export class HardenedContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
    this.withTmpFs({ '/tmp': 'rw,noexec,nosuid,size=16m' });
    this.withDroppedCapabilities('ALL');
    this.withSecurityOpt('no-new-privileges:true');
  }

  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as { HostIp?: string }[][]) {
      for (const binding of bindings) binding.HostIp = '127.0.0.1';
    }
  }
}
