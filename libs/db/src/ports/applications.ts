/**
 * Friend requests (docs/api.md §8, docs/data-model.md §2.6) as the domain sees them. An
 * application is stored applicant → target, at most one per unordered pair of accounts.
 */
import type { ApplicationStatus } from '../entities/application.entity';

/** One side of an application: what the other side sees of it (ApplicationInfo name/avatar). */
export interface ApplicationParty {
  id: number;
  name: string;
  avatar: string;
}

/** An application with both parties, as read or written. */
export interface ApplicationRecord {
  applicant: ApplicationParty;
  target: ApplicationParty;
  applyMsg: string;
  refuseMsg: string;
  status: ApplicationStatus;
  createAt: Date;
  updateAt: Date;
}

export interface ApplicationRepository {
  /**
   * In one transaction: `target_missing` when the target account does not exist
   * (`applicant_missing` when the applicant was deleted meanwhile), `friends`
   * when the two are friends, `pending` when a pending application exists between them in
   * either direction (or a concurrent create won the pair); otherwise removes any finished
   * application of the pair (docs/pitfalls.md §17) and stores a pending one
   * applicant → target.
   */
  create(
    applicantId: number,
    targetId: number,
    applyMsg: string,
  ): Promise<ApplicationRecord | 'target_missing' | 'applicant_missing' | 'friends' | 'pending'>;
  /** Deletes the application applicant → target whatever its status; false when none. */
  remove(applicantId: number, targetId: number): Promise<boolean>;
  /**
   * In one transaction: marks the application applicant → target accepted, creates the
   * friend relation (smaller account id first, docs/data-model.md §2.3) and a setting for each side.
   * `missing` without such an application, `accepted` when it already is, `applicant_missing`
   * when the applicant account is gone, `friends` when the two already are.
   */
  accept(applicantId: number, targetId: number): Promise<AcceptOutcome>;
  /**
   * Marks the application applicant → target refused with `refuseMsg` (docs/pitfalls.md
   * §16: that row, not the reverse one). `missing` without it, `handled` when it is already
   * refused or accepted.
   */
  refuse(
    applicantId: number,
    targetId: number,
    refuseMsg: string,
  ): Promise<ApplicationRecord | 'missing' | 'handled'>;
  /** Applications where the account is either side, newest first, paged. */
  listOf(
    accountId: number,
    page: number,
    pageSize: number,
  ): Promise<{ rows: ApplicationRecord[]; total: number }>;
}

/** What accepting an application came to: the new friendship, or why there is none. */
export type AcceptOutcome =
  | { application: ApplicationRecord; relationId: number }
  | 'missing'
  | 'accepted'
  | 'applicant_missing'
  | 'friends';
